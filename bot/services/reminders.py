"""Session reminders, the reflection nudge and 'the session has moved', all as outbox rows.

Keys: `reminder:<session>:<participant>:<minutes before>`, `nudge:<session>:<participant>`,
`moved:<session>:<new start>:<participant>`. Only reminders that still lie in
the future are queued; a reminder that fell due while the bot was down is sent
if the session has not started yet, and recorded as missed otherwise.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from bot.base.settings import SessionSettings
from bot.services.outbox_kinds import Outcome
from bot.services.registration import Desk
from bot.services.registration_replies import calendar_file, when
from bot.services.seat_kinds import AtStart, Opened, SeatKind, owe_session_row
from flows.callback_data import encode
from flows.participant_data import AskCancel, MenuItem, MenuPress
from flows.replies import Button, Reply
from flows.strings import Markup, Strings
from store import answers, outbox, registrations, session_times
from store.db import to_db
from store.outbox import OutboxItem
from store.participants import Participant
from store.registrations import Registration, RegistrationStatus

__all__ = ["MOVED", "NUDGE", "REMINDER", "Reminders"]

REMINDER = "reminder"
NUDGE = "nudge"
MOVED = "moved"


def _soon(strings: Strings, left: timedelta) -> str:
    """How far off the start is, in words — from now, so a late reminder still tells the truth."""
    minutes = max(1, round(left.total_seconds() / 60))
    if minutes >= 36 * 60:
        return strings("reminders.days", n=round(minutes / (24 * 60)))
    if minutes >= 20 * 60:
        return strings("reminders.tomorrow")
    if 50 <= minutes <= 70:
        return strings("reminders.hour")
    if minutes > 70:
        return strings("reminders.hours", n=round(minutes / 60))
    return strings("reminders.minutes", n=minutes)


class Reminders:
    """Schedules, cancels and re-times a participant's reminders; renders them when due."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.store = desk.store
        self.settings = desk.settings

    async def schedule(self, participant_id: int, session: SessionSettings, now: datetime) -> None:
        """Queue each reminder that still lies in the future, and the nudge."""
        for offset in self.settings.reminders.offsets:
            due = session.starts_at - offset
            if due <= now:
                continue
            minutes = int(offset.total_seconds() // 60)
            await owe_session_row(
                self.store,
                REMINDER,
                session,
                participant_id,
                due,
                now,
                key=(minutes,),
                payload={"minutes": minutes},
            )
        nudge_at = session.starts_at - self.settings.reminders.nudge_before
        if nudge_at > now:
            await owe_session_row(self.store, NUDGE, session, participant_id, nudge_at, now)
        await self.desk.dispatcher.wake()

    async def cancel(self, participant_id: int, session: SessionSettings, now: datetime) -> None:
        await outbox.cancel_keys(self.store, f"{REMINDER}:{session.id}:{participant_id}:")
        await outbox.cancel_keys(self.store, f"{NUDGE}:{session.id}:{participant_id}:")

    async def retime(self, session: SessionSettings, now: datetime) -> int:
        """At start: if the session's time changed, re-queue its reminders and tell people once.

        The new start is recorded last, so a crash half-way is redone at the next start.
        """
        last = await session_times.last_start(self.store, session.id)
        told = 0
        if last is not None and last != session.starts_at:
            await outbox.cancel_keys(self.store, f"{REMINDER}:{session.id}:")
            await outbox.cancel_keys(self.store, f"{NUDGE}:{session.id}:")
            for registration in await registrations.for_session(self.store, session.id):
                pid = registration.participant_id
                told += await outbox.enqueue(
                    self.store,
                    dedup_key=f"{MOVED}:{session.id}:{to_db(session.starts_at)}:{pid}",
                    participant_id=pid,
                    kind=MOVED,
                    due_at=now,
                    now=now,
                    payload={"session": session.id},
                )
                if registration.status is RegistrationStatus.REGISTERED:
                    await self.desk.seated(pid, session, now)  # reminders, follow-ups: anew
            await self.desk.dispatcher.wake()
        await session_times.remember(self.store, session.id, session.starts_at)
        return told


class _ReminderKind(SeatKind):
    def __init__(self, reminders: Reminders) -> None:
        super().__init__(reminders.desk)


class ReminderKind(_ReminderKind):
    """Outbox kind: 'the session starts soon', with a way out; missed once it has started."""

    async def compose(self, row: Opened[Registration]) -> Outcome:
        session, strings, now = row.session, row.strings, row.now
        minutes = int(row.item.payload.get("minutes", 0))
        text = strings(
            "reminders.text",
            title=session.title_in(strings.language),
            soon=Markup(_soon(strings, session.starts_at - now)),
            when=Markup(when(session, strings)),
        )
        if minutes <= 60 and session.join_url:
            text += "\n" + strings("reminders.join", url=session.join_url)
        # The session id rides along and is checked at the press (an old reminder is stale).
        cant = Button(strings.plain("reminders.cant_make_it"), encode(AskCancel(session.id)))
        return [Reply(text, ((cant,),))]


class NudgeKind(_ReminderKind):
    """Outbox kind: before the session, a nudge to answer the reflection questions left."""

    async def seat(
        self, item: OutboxItem, participant: Participant, session: SessionSettings
    ) -> Registration | None:
        if participant.drips_paused:
            return None
        return await super().seat(item, participant, session)

    async def compose(self, row: Opened[Registration]) -> Outcome:
        desk, pid = self.desk, row.participant.telegram_id
        flow = desk.content.reflection_for([row.session.id])  # the questions of their session
        answered = await answers.questions_answered(desk.store, pid, flow.id)
        questions = flow.questions
        if len(answered) >= len(questions):
            return None
        strings = row.strings
        button = Button(
            strings.plain("reminders.nudge_button"), encode(MenuPress(MenuItem.REFLECT))
        )
        text = strings("reminders.nudge", answered=len(answered), questions=len(questions))
        return [Reply(text, ((button,),))]


class MovedKind(_ReminderKind):
    """Outbox kind: 'the session has moved', to the waitlist too; with the calendar
    update for those seated. Dropped once the session has started."""

    at_start: ClassVar[AtStart] = AtStart.DROPPED

    async def seat(
        self, item: OutboxItem, participant: Participant, session: SessionSettings
    ) -> Registration | None:
        return await self.live_registration(participant, session)  # None: cancelled since

    async def compose(self, row: Opened[Registration]) -> Outcome:
        session, strings, pid = row.session, row.strings, row.participant.telegram_id
        text = strings(
            "reminders.moved",
            title=session.title_in(strings.language),
            when=Markup(when(session, strings)),
        )
        if row.seat.status is RegistrationStatus.WAITLISTED:
            return [Reply(text)]  # waitlisted: told, but no event for their calendar yet
        changes = await registrations.calendar_changes(self.desk.store, pid, session.id)
        update = calendar_file(
            session,
            pid,
            row.now,
            strings,
            caption=strings("reminders.moved_ics_caption"),
            with_join_url=session.join_url_timing == "now",
            changes=changes,
            update=True,
        )
        return [Reply(text), update]
