"""After the session: the follow-ups that attendance decides (bot/services/attendance.py).

Everyone seated in a session is owed two rows, made when they get their seat:
`followup:<session>:<participant>:<start>` (`[followup] after` the end: a
thank-you with the recording to those marked as attended, "sorry we missed you"
with the MOOC link to the others) and `after:<session>:<participant>:<start>`
(`[followup] question_after` the end: one more reflection question, for those
who attended). What each says is decided when it is due, from the attendance
marked by then; while nobody of the session is marked, the follow-up waits
(facilitators may mark a day late) — for at most `WAIT_FOR_ATTENDANCE`; the
question a week on waits the same way for someone not (yet) marked.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from bot.base.settings import FollowupSettings, SessionSettings
from bot.services.outbox_kinds import Missed, Outcome, Postpone
from bot.services.registration import Desk
from bot.services.seat_kinds import (
    AtStart,
    Opened,
    SeatKind,
    owe_session_row,
    same_start,
    start_stamp,
)
from flows.callback_data import encode
from flows.participant_data import AfterSession
from flows.replies import Button, Reply
from store import answers, outbox, registrations
from store.outbox import OutboxItem
from store.participants import Participant
from store.registrations import Registration, RegistrationStatus

__all__ = [
    "AFTER",
    "AFTER_FLOW",
    "FOLLOWUP",
    "AfterKind",
    "FollowUps",
    "FollowupKind",
]

FOLLOWUP = "followup"
AFTER = "after"
AFTER_FLOW = "after"  # content/flows/after.toml
WAIT_FOR_ATTENDANCE = timedelta(days=14)
ASK_AGAIN = timedelta(hours=6)


def _delay(settings: FollowupSettings, kind: str) -> timedelta | None:
    return settings.after if kind == FOLLOWUP else settings.question_after


class FollowUps:
    """Owes each seated person their follow-ups; cancels them when the seat is given up."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    async def schedule(self, participant_id: int, session: SessionSettings, now: datetime) -> None:
        settings = self.desk.settings.followup
        starts = {"starts": start_stamp(session)}
        for kind, delay in ((FOLLOWUP, settings.after), (AFTER, settings.question_after)):
            if delay is None:
                continue
            due = session.ends_at + delay
            await owe_session_row(
                self.desk.store, kind, session, participant_id, due, now, payload=starts
            )

    async def owe_everyone(self, now: datetime) -> int:
        """At start: owe the follow-ups to everyone seated who has none yet (people who
        registered before this version ran); those already owed, sent or cancelled are left."""
        store = self.desk.store
        for kind in (FOLLOWUP, AFTER):  # a delay changed since they were queued: re-timed
            delay = _delay(self.desk.settings.followup, kind)
            for row in await outbox.pending_with_prefix(store, f"{kind}:"):
                session = self.desk.session(str(row.payload.get("session", "")))
                due = session.ends_at + delay if delay and session else row.due_at
                if row.due_at != due:
                    await outbox.move(store, row.id, due)
        keys = await outbox.keys_of_kinds(store, (FOLLOWUP, AFTER))
        # kind:session:participant:start (session ids hold no colon)
        owed = {tuple(key.split(":")[1:3]) for key in keys}
        added = 0
        for session in self.desk.settings.sessions:
            for registration in await registrations.for_session(store, session.id):
                if registration.status is RegistrationStatus.WAITLISTED:
                    continue
                if (session.id, str(registration.participant_id)) not in owed:
                    await self.schedule(registration.participant_id, session, now)
                    added += 1
        return added

    async def unmarked(
        self, item: OutboxItem, session: SessionSettings, now: datetime
    ) -> Postpone | Missed | None:
        """While nobody of the session is marked as attended, nobody can be told they
        were missed: wait (looking again every few hours), for at most two weeks."""
        marked = await registrations.counts(self.desk.store, session.id)
        if marked.get(RegistrationStatus.ATTENDED):
            return None
        delay = _delay(self.desk.settings.followup, item.kind) or timedelta()
        if now >= session.ends_at + delay + WAIT_FOR_ATTENDANCE:  # (its due time moves on)
            return Missed()
        return Postpone(now + ASK_AGAIN)

    async def cancel(self, participant_id: int, session: SessionSettings, now: datetime) -> None:
        for kind in (FOLLOWUP, AFTER):
            await outbox.cancel_keys(self.desk.store, f"{kind}:{session.id}:{participant_id}:")


class _AfterSessionKind(SeatKind):
    """A row after the session: still theirs if it was queued for the session's current
    time (a session that moved got new rows), the follow-up is not turned "off" since,
    and they did not cancel (waitlisted too: what it says is the kind's to decide)."""

    at_start: ClassVar[AtStart] = AtStart.SENT

    def __init__(self, followups: FollowUps) -> None:
        super().__init__(followups.desk)
        self.followups = followups

    async def seat(
        self, item: OutboxItem, participant: Participant, session: SessionSettings
    ) -> Registration | None:
        if not same_start(item, session):
            return None
        if _delay(self.desk.settings.followup, item.kind) is None:
            return None
        return await self.live_registration(participant, session)


class FollowupKind(_AfterSessionKind):
    """Outbox kind: a thank-you to those who attended, "sorry we missed you" to the others."""

    async def compose(self, row: Opened[Registration]) -> Outcome:
        session, strings = row.session, row.strings
        if row.seat.status is RegistrationStatus.ATTENDED:
            text = strings("followup.thanks", title=session.title_in(strings.language))
            if session.recording_url:
                text += "\n\n" + strings("followup.recording", url=session.recording_url)
            return [Reply(text)]
        if row.seat.status is not RegistrationStatus.REGISTERED:
            return None
        if (waiting := await self.followups.unmarked(row.item, session, row.now)) is not None:
            return waiting
        text = strings("followup.missed", title=session.title_in(strings.language))
        if session.mooc_url:
            text += "\n\n" + strings("followup.mooc", url=session.mooc_url)
        return [Reply(text)]


class AfterKind(_AfterSessionKind):
    """Outbox kind: a week on, one more reflection question for those who attended."""

    async def compose(self, row: Opened[Registration]) -> Outcome:
        if row.seat.status is RegistrationStatus.REGISTERED:
            # Not marked (yet): wait while nobody of the session is, else it is not for them.
            return await self.followups.unmarked(row.item, row.session, row.now)
        if row.seat.status is not RegistrationStatus.ATTENDED:
            return None
        if await answers.questions_answered(
            self.desk.store, row.participant.telegram_id, AFTER_FLOW
        ):
            return None
        button = Button(row.strings.plain("after.answer"), encode(AfterSession(row.session.id)))
        return [Reply(row.strings("after.invite", title=row.session.title), ((button,),))]
