"""/attendance: facilitators mark who attended a session, a page of names at a time.

Each name is a toggle whose button carries the state it sets (`at:<session>:<person>:
<page>:<1|0>`), so a double tap or an old page sets exactly what it shows and never
flips back. Marks and their audit rows: bot/services/attendance.py.
"""

from __future__ import annotations

from telegram import Update

from bot.base.settings import SessionSettings
from bot.services.attendance import attendance_session, mark
from bot.shell.context import BotContext
from bot.shell.handlers.common import respond
from bot.shell.handlers.fallbacks import stale_button
from flows.callback_data import decode, encode
from flows.replies import Button, Reply
from flows.staff_data import AttendanceMark, AttendancePage
from flows.strings import Strings
from store import registrations
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
    pressed = decode(query.data or "")
    if not isinstance(pressed, AttendanceMark | AttendancePage):
        await stale_button(update, context)
        return
    session = next((s for s in context.settings.sessions if s.id == pressed.session), None)
    # No such session, or a forged press before it starts.
    if session is None or session.starts_at > context.clock.now():
        await stale_button(update, context)
        return
    if isinstance(pressed, AttendanceMark):
        actor = context.participant.telegram_id if context.participant else None
        await mark(
            context.store,
            session.id,
            pressed.person,
            pressed.present,
            actor_id=actor,
            now=context.clock.now(),
        )
    reply = await _page(context, context.strings, session, pressed.page, edit=True)
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
        data = encode(AttendanceMark(session.id, r.participant_id, number, not present))
        rows.append((Button(label.format(name=_name(r)), data),))
    nav = []
    if number > 0:
        previous = encode(AttendancePage(session.id, number - 1))
        nav.append(Button(strings.plain("attendance.previous"), previous))
    if number < pages - 1:
        following = encode(AttendancePage(session.id, number + 1))
        nav.append(Button(strings.plain("attendance.next"), following))
    if nav:
        rows.append(tuple(nav))
    text = strings("attendance.title", title=session.title, marked=marked, total=len(seated))
    return Reply(text, tuple(rows), edit=edit)


def _name(registration: Registration) -> str:
    return registration.details.name or registration.details.email
