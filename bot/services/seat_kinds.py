"""The base of the outbox kinds bound to someone's place in a session (reminders, follow-ups…).

Such a row names its session in its payload (`"session"`; `owe_session_row` queues
one). Each of these kinds
opens the same way: find the session and the person's seat in it (dropped when
either is gone), record the row as missed if it comes after the start, pick the
person's strings; only then does the kind say its own words (`compose`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import ClassVar, Generic, TypeVar

from bot.base.settings import SessionSettings
from bot.services.outbox_kinds import Missed, Outcome, QuietKind
from bot.services.registration import Desk
from flows.strings import Strings
from store import outbox, registrations
from store.db import Store
from store.outbox import OutboxItem
from store.participants import Participant
from store.registrations import Registration

__all__ = [
    "AtStart",
    "Opened",
    "SeatKind",
    "SessionKind",
    "owe_session_row",
    "same_start",
    "start_stamp",
]

S = TypeVar("S")


class AtStart(Enum):
    """What becomes of a row still unsent when its session has started."""

    MISSED = "missed"  # recorded as missed, not sent (a reminder)
    DROPPED = "dropped"  # cancelled: no longer true (the session has moved)
    SENT = "sent"  # the start does not matter (a promotion, a follow-up after it)


@dataclass(frozen=True, slots=True)
class Opened(Generic[S]):
    """A row of a session-bound kind, opened: for whom, which session, their seat, their words."""

    item: OutboxItem
    participant: Participant
    session: SessionSettings
    seat: S
    strings: Strings
    now: datetime


def start_stamp(session: SessionSettings) -> int:
    """The session's start as it stands in its rows' keys (and a follow-up's payload)."""
    return int(session.starts_at.timestamp())


def same_start(item: OutboxItem, session: SessionSettings) -> bool:
    """The row was queued for the session's current start (`"starts"` in its payload): a
    session that moved got rows of its own."""
    return item.payload.get("starts") == start_stamp(session)


async def owe_session_row(
    store: Store,
    kind: str,
    session: SessionSettings,
    participant_id: int,
    due_at: datetime,
    now: datetime,
    *,
    key: tuple[object, ...] = (),
    payload: Mapping[str, object] | None = None,
) -> bool:
    """Queue a row of a session kind once, keyed `<kind>:<session>:<participant>:<key…>:<start>`
    (the start in the key: a moved session gets its rows anew); False if it was already."""
    parts = (kind, session.id, participant_id, *key, start_stamp(session))
    return await outbox.enqueue(
        store,
        dedup_key=":".join(map(str, parts)),
        participant_id=participant_id,
        kind=kind,
        due_at=due_at,
        now=now,
        payload={"session": session.id, **(payload or {})},
    )


class SessionKind(QuietKind, ABC, Generic[S]):
    """An outbox kind whose row is about one session and the person's place in it (`S`:
    their registration, or whatever else entitles them to the row, such as a role)."""

    at_start: ClassVar[AtStart] = AtStart.MISSED

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    @abstractmethod
    async def seat(
        self, item: OutboxItem, participant: Participant, session: SessionSettings
    ) -> S | None:
        """What makes the row theirs still; None: it is no longer (the row is dropped)."""

    @abstractmethod
    async def compose(self, row: Opened[S]) -> Outcome:
        """The kind's own words, once the row is known to be due to them."""

    async def render(self, item: OutboxItem, participant: Participant, now: datetime) -> Outcome:
        session = self.desk.session(str(item.payload.get("session", "")))
        if session is None:
            return None
        seat = await self.seat(item, participant, session)
        if seat is None:
            return None
        if now >= session.starts_at and self.at_start is not AtStart.SENT:
            return Missed() if self.at_start is AtStart.MISSED else None
        strings = self.desk.content.strings(participant.language)
        return await self.compose(Opened(item, participant, session, seat, strings, now))


class SeatKind(SessionKind[Registration]):
    """A session kind for those holding a seat (registered or attended, not waitlisted)."""

    async def seat(
        self, item: OutboxItem, participant: Participant, session: SessionSettings
    ) -> Registration | None:
        found = await self.desk.seat(participant.telegram_id, session.id)
        return found[1] if found else None

    async def live_registration(
        self, participant: Participant, session: SessionSettings
    ) -> Registration | None:
        """Their registration in the session, waitlisted too (None: they cancelled)."""
        for registration in await registrations.live(self.desk.store, participant.telegram_id):
            if registration.session_id == session.id:
                return registration
        return None
