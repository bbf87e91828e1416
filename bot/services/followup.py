"""After the session: attendance from a meeting tool's list, and the follow-ups it decides.

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

import csv
import io
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import parseaddr
from pathlib import Path

from bot.base.settings import FollowupSettings, SessionSettings
from bot.services.dispatcher import Missed, Postpone, QuietKind
from bot.services.registration import Desk
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


def _delay(settings: FollowupSettings, kind: str) -> timedelta | None:
    return settings.after if kind == FOLLOWUP else settings.question_after


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

    async def seat_of(
        self, item: OutboxItem, participant: Participant
    ) -> tuple[SessionSettings, Registration] | None:
        """The session and the person's registration in it, if this row still belongs to them
        (a session that moved got new rows; a cancelled registration none; a follow-up
        turned "off" since is not sent)."""
        session = self.desk.session(str(item.payload.get("session", "")))
        if session is None or item.payload.get("starts") != _stamp(session):
            return None
        if _delay(self.desk.settings.followup, item.kind) is None:
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
            text = strings("followup.thanks", title=session.title_in(strings.language))
            if session.recording_url:
                text += "\n\n" + strings("followup.recording", url=session.recording_url)
            return [Reply(text)]
        if registration.status is not RegistrationStatus.REGISTERED:
            return None
        if (waiting := await self.followups.unmarked(item, session, now)) is not None:
            return waiting
        text = strings("followup.missed", title=session.title_in(strings.language))
        if session.mooc_url:
            text += "\n\n" + strings("followup.mooc", url=session.mooc_url)
        return [Reply(text)]


class AfterKind(_AfterSessionKind):
    """Outbox kind: a week on, one more reflection question for those who attended."""

    async def render(
        self, item: OutboxItem, participant: Participant, now: datetime
    ) -> Sequence[Out] | Postpone | Missed | None:
        seat = await self.followups.seat_of(item, participant)
        if seat is None:
            return None
        if seat[1].status is RegistrationStatus.REGISTERED:
            # Not marked (yet): wait while nobody of the session is, else it is not for them.
            return await self.followups.unmarked(item, seat[0], now)
        if seat[1].status is not RegistrationStatus.ATTENDED:
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
    """The named session; without a name, the latest that has started."""
    if wanted:
        return next((s for s in sessions if s.id == wanted), None)
    started = [s for s in sessions if s.starts_at <= now]
    return max(started, key=lambda s: s.starts_at) if started else None


def emails_in(path: Path) -> set[str]:
    """The e-mail addresses in a meeting tool's participant list (CSV, comma, semicolon or
    tab separated; UTF-8, or UTF-16 as Teams writes it): the column whose header names an
    e-mail, else every cell holding an address; "Name <a@b.org>" gives a@b.org.
    ValueError when the file holds none."""
    raw = path.read_bytes()
    utf16 = raw[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in raw[:200]
    text = raw.decode("utf-16" if utf16 else "utf-8-sig")
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
    found = {address for cell in cells if _is_address(address := parseaddr(cell)[1])}
    if not found:
        raise ValueError(f"{path}: no e-mail addresses found (is it the participant list?)")
    return found


def _is_address(text: str) -> bool:
    name, _, domain = text.partition("@")
    return bool(name) and "." in domain and not any(c.isspace() for c in text)


def _mail_column(row: list[str]) -> int | None:
    for index, cell in enumerate(row):
        name = cell.strip().casefold().replace("-", "")
        if "email" in name or name in ("mail", "emailadres", "emailaddress"):
            return index
    return None
