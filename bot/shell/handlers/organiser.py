"""What organisers do in the chat: invite helpers, see who registered. (Roles: shell/roles.py.)"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection, Sequence
from datetime import timedelta
from functools import partial

from telegram import Update

from bot.base.settings import SessionSettings
from bot.base.telegram_text import MAX_TEXT, shown_length
from bot.reports.collected import staff_ids
from bot.shell.context import BotContext
from bot.shell.handlers.common import respond
from bot.shell.handlers.fallbacks import stale_button
from bot.shell.roles import refresh_menus
from bot.shell.turn import after_commit
from flows.callback_data import decode, encode
from flows.replies import Button, Reply
from flows.staff_data import RegistrationsPage
from flows.strings import Markup, Strings
from store import audit, collected
from store import roles as role_store
from store.registrations import Registration, RegistrationStatus
from store.roles import Refusal, Role

__all__ = [
    "INVITE_VALID",
    "invite",
    "redeem_invite",
    "registration_pages",
    "registrations_button",
    "show_registrations",
]

INVITE_VALID = timedelta(hours=48)
PER_PAGE = 25  # people on a /registrations page at most (fewer when long)


async def invite(update: Update, context: BotContext) -> None:
    """Makes a one-time link (valid 48 hours) that gives its user a role."""
    user = update.effective_user
    assert user is not None
    wanted = (context.args or [""])[0].lower()
    if wanted not in {role.value for role in Role}:
        await respond(update, context, [Reply(context.strings("organiser.invite_usage"))])
        return
    now = context.clock.now()
    token = secrets.token_urlsafe(12)
    await role_store.create_invite(
        context.store, token, Role(wanted), user.id, now, now + INVITE_VALID
    )
    await audit.record(
        context.store, actor_id=user.id, action="invite.created", now=now, detail={"role": wanted}
    )
    link = f"https://t.me/{context.bot.username}?start=inv_{token}"
    role_name = context.strings.plain(f"organiser.role_{wanted}")
    await respond(
        update, context, [Reply(context.strings("organiser.invite", role=role_name, link=link))]
    )


async def redeem_invite(update: Update, context: BotContext) -> None:
    """t.me/<bot>?start=inv_<token>: grants the invite's role, once, within 48 hours, while
    whoever made it is still an organiser; a withdrawn invite says so."""
    user = update.effective_user
    message = update.effective_message
    assert user is not None
    assert message is not None
    token = (message.text or "").split(maxsplit=1)[-1].removeprefix("inv_")
    now = context.clock.now()
    makers = context.settings.roles.organisers
    outcome = await role_store.use_invite(context.store, token, user.id, now, makers=makers)
    if isinstance(outcome, Refusal):
        await audit.record(
            context.store,
            actor_id=user.id,
            action="refused:invite",
            now=now,
            detail={"reason": outcome.value},
        )
        key = "organiser.invite_void" if outcome is Refusal.VOID else "organiser.invite_invalid"
        await respond(update, context, [Reply(context.strings(key))])
        return
    await audit.record(
        context.store,
        actor_id=user.id,
        action="invite.used",
        now=now,
        detail={"role": outcome.value},
    )
    await after_commit(partial(refresh_menus, context.bot, context.bot_data))
    await context.services.digests.schedule(now)
    role_name = context.strings.plain(f"organiser.role_{outcome.value}")
    await respond(
        update, context, [Reply(context.strings("organiser.invite_used", role=role_name))]
    )


async def show_registrations(update: Update, context: BotContext) -> None:
    """/registrations: per session, how many registered and waitlisted, and everyone in
    order (registered, then the waitlist), a page at a time with ◀ ▶."""
    await respond(update, context, [await _registrations_page(context, 0, edit=False)])


async def registrations_button(update: Update, context: BotContext) -> None:
    """rgl:<page>: another page of /registrations, edited in place (clamped, so an old
    button after cancellations still shows a page)."""
    query = update.callback_query
    assert query is not None
    pressed = decode(query.data or "")
    if not isinstance(pressed, RegistrationsPage):
        await stale_button(update, context)
        return
    reply = await _registrations_page(context, pressed.page, edit=True)
    await respond(update, context, [reply])


async def _registrations_page(context: BotContext, number: int, *, edit: bool) -> Reply:
    strings = context.strings
    sessions = context.settings.sessions
    if not sessions:
        return Reply(strings("registration.none_open"), edit=edit)
    live = await collected.registrations(context.store)
    roles = context.settings.roles
    staff = await staff_ids(context.store, [*roles.organisers, *roles.facilitators])
    pages = registration_pages(
        sessions,
        live,
        strings,
        lambda session: context.desk.when(session, strings),
        staff=staff,
    )
    number = min(max(number, 0), len(pages) - 1)
    return Reply(pages[number], _page_buttons(strings, number, len(pages)), edit=edit)


def registration_pages(
    sessions: Sequence[SessionSettings],
    live: Sequence[Registration],
    strings: Strings,
    when: Callable[[SessionSettings], str],
    *,
    staff: Collection[int] = (),
) -> list[str]:
    """Every session's registrations as pages: each page a session's heading with its
    counts, then at most PER_PAGE people (fewer when long: within Telegram's 4096).
    Staff (organisers, facilitators) who registered are listed, marked: they hold seats."""
    pages = [
        page
        for session in sessions
        for page in _session_pages(
            session, [r for r in live if r.session_id == session.id], strings, when(session), staff
        )
    ]
    if len(pages) == 1:
        return pages
    return [
        f"{text}\n\n{strings('organiser.page', page=n, pages=len(pages))}"
        for n, text in enumerate(pages, start=1)
    ]


def _session_pages(
    session: SessionSettings,
    here: list[Registration],
    strings: Strings,
    when: str,
    staff: Collection[int],
) -> list[str]:
    seated = [r for r in here if r.status is not RegistrationStatus.WAITLISTED]
    waiting = [r for r in here if r.status is RegistrationStatus.WAITLISTED]

    def mark(r: Registration) -> str:
        return strings("organiser.staff_mark") if r.participant_id in staff else ""

    lines = [
        (
            False,
            strings("organiser.seated", number=n, name=r.details.name, email=r.details.email)
            + mark(r),
        )
        for n, r in enumerate(seated, start=1)
    ] + [
        (
            True,
            strings(
                "organiser.waiting",
                position=r.position or n,
                name=r.details.name,
                email=r.details.email,
            )
            + mark(r),
        )
        for n, r in enumerate(waiting, start=1)
    ]

    def page(chunk: list[tuple[bool, str]]) -> str:
        shown = [line for _, line in chunk]
        starts = next((i for i, (on_waitlist, _) in enumerate(chunk) if on_waitlist), None)
        if starts is not None:  # the waitlist begins on this page, or the page begins in it
            shown.insert(starts, ("\n" if starts else "") + strings("organiser.waiting_head"))
        return strings(
            "organiser.registrations",
            title=session.title,
            when=Markup(when),
            registered=len(seated),
            capacity=session.capacity or "∞",
            waitlisted=len(waiting),
            people=Markup("\n".join(shown) or strings("organiser.nobody")),
        )

    pages: list[str] = []
    chunk: list[tuple[bool, str]] = []
    for line in lines:
        if chunk and (len(chunk) == PER_PAGE or not _fits(page([*chunk, line]), strings)):
            pages.append(page(chunk))
            chunk = []
        chunk.append(line)
    pages.append(page(chunk))
    return pages


def _fits(text: str, strings: Strings) -> bool:
    """Within Telegram's 4096 with the page line still to come."""
    return shown_length(text) + len(strings.plain("organiser.page")) + 16 <= MAX_TEXT


def _page_buttons(strings: Strings, number: int, pages: int) -> tuple[tuple[Button, ...], ...]:
    row = []
    if number > 0:
        row.append(
            Button(strings.plain("organiser.previous"), encode(RegistrationsPage(number - 1)))
        )
    if number < pages - 1:
        row.append(Button(strings.plain("organiser.next"), encode(RegistrationsPage(number + 1))))
    return (tuple(row),) if row else ()
