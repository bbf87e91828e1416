"""After the session: attendance from a meeting tool's list, and the follow-ups it decides.

Everyone seated in a session is owed two rows, made when they get their seat:
`followup:<session>:<participant>:<start>` (`[followup] after` the end: a
thank-you with the recording to those marked as attended, "sorry we missed you"
with the MOOC link to the others) and `after:<session>:<participant>:<start>`
(`[followup] question_after` the end: one more reflection question, for those
who attended). What each says is decided when it is due, from the attendance
marked by then; while nobody of the session is marked, the follow-up waits
(facilitators may mark a day late) — for at most `WAIT_FOR_ATTENDANCE`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from bot.dispatcher import Missed, Postpone, QuietKind
from bot.registration import Desk
from bot.settings import SessionSettings
from flows.replies import Button, Out, Reply
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
    "attendance_session",
    "emails_in",
]

FOLLOWUP = "followup"
AFTER = "after"
AFTER_FLOW = "after"  # content/flows/after.toml
WAIT_FOR_ATTENDANCE = timedelta(days=14)
ASK_AGAIN = timedelta(hours=6)


def _stamp(session: SessionSettings) -> int:
    return int(session.starts_at.timestamp())


class FollowUps:
    """Owes each seated person their follow-ups; cancels them when the seat is given up."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    async def schedule(self, participant_id: int, session: SessionSettings, now: datetime) -> None:
        settings = self.desk.settings.followup
        stamp = _stamp(session)
        for kind, delay in ((FOLLOWUP, settings.after), (AFTER, settings.question_after)):
            if delay is None:
                continue
            await outbox.enqueue(
                self.desk.store,
                dedup_key=f"{kind}:{session.id}:{participant_id}:{stamp}",
                participant_id=participant_id,
                kind=kind,
                due_at=session.ends_at + delay,
                now=now,
                payload={"session": session.id, "starts": stamp},
            )

    async def owe_everyone(self, now: datetime) -> int:
        """At start: owe the follow-ups to everyone seated who has none yet (people who
        registered before this version ran); those already owed, sent or cancelled are left."""
        store = self.desk.store
        rows = await store.fetch_all(
            "SELECT dedup_key FROM outbox WHERE kind IN (?, ?)", (FOLLOWUP, AFTER)
        )
        # kind:session:participant:start (session ids hold no colon)
        owed = {tuple(row["dedup_key"].split(":")[1:3]) for row in rows}
        added = 0
        for session in self.desk.settings.sessions:
            for registration in await registrations.for_session(store, session.id):
                if registration.status is RegistrationStatus.WAITLISTED:
                    continue
                if (session.id, str(registration.participant_id)) not in owed:
                    await self.schedule(registration.participant_id, session, now)
                    added += 1
        return added

    async def cancel(self, participant_id: int, session: SessionSettings, now: datetime) -> None:
        for kind in (FOLLOWUP, AFTER):
            await outbox.cancel_keys(self.desk.store, f"{kind}:{session.id}:{participant_id}:")

    async def seat_of(
        self, item: OutboxItem, participant: Participant
    ) -> tuple[SessionSettings, Registration] | None:
        """The session and the person's registration in it, if this row still belongs to them
        (a session that moved got new rows; a cancelled registration none)."""
        session = self.desk.session(str(item.payload.get("session", "")))
        if session is None or item.payload.get("starts") != _stamp(session):
            return None
        for registration in await registrations.live(self.desk.store, participant.telegram_id):
            if registration.session_id == session.id:
                return session, registration
        return None


class _AfterSessionKind(QuietKind):
    def __init__(self, followups: FollowUps) -> None:
        self.followups = followups


class FollowupKind(_AfterSessionKind):
    """Outbox kind: a thank-you to those who attended, "sorry we missed you" to the others."""

    async def render(
        self, item: OutboxItem, participant: Participant, now: datetime
    ) -> Sequence[Out] | Postpone | Missed | None:
        seat = await self.followups.seat_of(item, participant)
        if seat is None:
            return None
        session, registration = seat
        strings = self.followups.desk.content.strings(participant.language)
        if registration.status is RegistrationStatus.ATTENDED:
            text = strings("followup.thanks", title=session.title)
            if session.recording_url:
                text += "\n\n" + strings("followup.recording", url=session.recording_url)
            return [Reply(text)]
        if registration.status is not RegistrationStatus.REGISTERED:
            return None
        marked = await registrations.counts(self.followups.desk.store, session.id)
        if not marked.get(RegistrationStatus.ATTENDED):
            # Nobody marked yet: nobody can be told they were missed.
            if now >= session.ends_at + WAIT_FOR_ATTENDANCE:
                return Missed()
            return Postpone(now + ASK_AGAIN)
        text = strings("followup.missed", title=session.title)
        if session.mooc_url:
            text += "\n\n" + strings("followup.mooc", url=session.mooc_url)
        return [Reply(text)]


class AfterKind(_AfterSessionKind):
    """Outbox kind: a week on, one more reflection question for those who attended."""

    async def render(
        self, item: OutboxItem, participant: Participant, now: datetime
    ) -> Sequence[Out] | Postpone | Missed | None:
        seat = await self.followups.seat_of(item, participant)
        if seat is None or seat[1].status is not RegistrationStatus.ATTENDED:
            return None
        store = self.followups.desk.store
        if await answers.questions_answered(store, participant.telegram_id, AFTER_FLOW):
            return None
        strings = self.followups.desk.content.strings(participant.language)
        button = Button(strings.plain("after.answer"), f"{AFTER}:{seat[0].id}")
        return [Reply(strings("after.invite", title=seat[0].title), ((button,),))]


def attendance_session(
    sessions: Sequence[SessionSettings], wanted: str, now: datetime
) -> SessionSettings | None:
    """The named session; without a name, the latest that has started, else the next."""
    if wanted:
        return next((s for s in sessions if s.id == wanted), None)
    started = [s for s in sessions if s.starts_at <= now]
    if started:
        return max(started, key=lambda s: s.starts_at)
    return min(sessions, key=lambda s: s.starts_at) if sessions else None


def emails_in(path: Path) -> set[str]:
    """The e-mail addresses in a meeting tool's participant list (CSV, comma, semicolon or
    tab separated; UTF-8 or UTF-16 as Teams writes it): the column whose header names an
    e-mail, else every cell that looks like an address."""
    raw = path.read_bytes()
    text = (
        raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode("utf-8-sig")
    )
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], ",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    header = next((i for i, row in enumerate(rows[:20]) if _mail_column(row) is not None), None)
    if header is not None:
        column = _mail_column(rows[header])
        assert column is not None
        cells = [row[column] for row in rows[header + 1 :] if len(row) > column]
    else:
        cells = [cell for row in rows for cell in row]
    return {cell.strip() for cell in cells if "@" in cell and " " not in cell.strip()}


def _mail_column(row: list[str]) -> int | None:
    for index, cell in enumerate(row):
        name = cell.strip().casefold().replace("-", "")
        if "email" in name or name in ("mail", "emailadres", "emailaddress"):
            return index
    return None
