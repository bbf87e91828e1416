"""/attendance: facilitators mark who attended a session, a page of names at a time.

Each name is a toggle whose button carries the state it sets (`at:<session>:<person>:
<page>:<1|0>`), so a double tap or an old page sets exactly what it shows and never
flips back. Attendance decides the follow-ups (bot/services/followup.py).
"""

from __future__ import annotations

from telegram import Update

from bot.base.settings import SessionSettings
from bot.services.followup import attendance_session
from bot.shell.context import BotContext
from bot.shell.handlers.common import respond
from bot.shell.handlers.participant import stale_button
from flows.callbacks import number
from flows.replies import Button, Reply
from flows.strings import Strings
from store import audit, registrations
from store.registrations import Registration, RegistrationStatus

__all__ = ["attendance", "attendance_button"]

PAGE = 8


async def attendance(update: Update, context: BotContext) -> None:
    """/attendance [SESSION]: the seated people of a session with a toggle each."""
    strings = context.strings
    wanted = " ".join(context.args or []).strip()
    now = context.clock.now()
    session = attendance_session(context.settings.sessions, wanted, now)
    choices = ", ".join(s.id for s in context.settings.sessions)
    if not context.settings.sessions:
        reply = Reply(strings("attendance.no_sessions"))
    elif session is None and wanted:
        reply = Reply(strings("attendance.unknown", name=wanted, choices=choices))
    elif session is None:
        reply = Reply(strings("attendance.none_started", choices=choices))
    elif session.starts_at > now:  # marking early would end their reminders
        reply = Reply(strings("attendance.not_yet", title=session.title))
    else:
        reply = await _page(context, strings, session, 0, edit=False)
    await respond(update, context, [reply])


async def attendance_button(update: Update, context: BotContext) -> None:
    """at:<session>:<person>:<page>:<1|0> marks; at:<session>:p:<page> turns the page."""
    query = update.callback_query
    assert query is not None
    parts = (query.data or "").split(":")
    page = number(parts[3]) if len(parts) in (4, 5) else None
    sessions = context.settings.sessions if page is not None else ()
    session = next((s for s in sessions if s.id == parts[1]), None)
    if session is None or page is None:
        await stale_button(update, context)
        return
    if session.starts_at > context.clock.now():  # a forged press before the start
        await stale_button(update, context)
        return
    if len(parts) == 5:
        person = number(parts[2], signed=True)
        if parts[4] not in ("0", "1") or person is None:
            await stale_button(update, context)
            return
        now = context.clock.now()
        present = parts[4] == "1"
        changed = await registrations.set_attended(context.store, person, session.id, present, now)
        if changed and context.participant is not None:
            await audit.record(
                context.store,
                actor_id=context.participant.telegram_id,
                action="attendance.marked" if present else "attendance.unmarked",
                now=now,
                detail={"session": session.id},
                recipients=1,
            )
    elif parts[2] != "p":
        await stale_button(update, context)
        return
    reply = await _page(context, context.strings, session, page, edit=True)
    await respond(update, context, [reply])


async def _page(
    context: BotContext, strings: Strings, session: SessionSettings, number: int, *, edit: bool
) -> Reply:
    everyone = await registrations.for_session(context.store, session.id)
    seated = sorted(
        (r for r in everyone if r.status is not RegistrationStatus.WAITLISTED),
        key=lambda r: _name(r).casefold(),
    )
    if not seated:
        return Reply(strings("attendance.nobody", title=session.title), edit=edit)
    pages = -(-len(seated) // PAGE)
    number = min(max(number, 0), pages - 1)
    marked = sum(r.status is RegistrationStatus.ATTENDED for r in seated)
    rows: list[tuple[Button, ...]] = []
    for r in seated[number * PAGE : (number + 1) * PAGE]:
        present = r.status is RegistrationStatus.ATTENDED
        label = strings.plain("attendance.present" if present else "attendance.absent")
        data = f"at:{session.id}:{r.participant_id}:{number}:{0 if present else 1}"
        rows.append((Button(label.format(name=_name(r)), data),))
    nav = []
    if number > 0:
        nav.append(Button(strings.plain("attendance.previous"), f"at:{session.id}:p:{number - 1}"))
    if number < pages - 1:
        nav.append(Button(strings.plain("attendance.next"), f"at:{session.id}:p:{number + 1}"))
    if nav:
        rows.append(tuple(nav))
    text = strings("attendance.title", title=session.title, marked=marked, total=len(seated))
    return Reply(text, tuple(rows), edit=edit)


def _name(registration: Registration) -> str:
    return registration.details.name or registration.details.email
