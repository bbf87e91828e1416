"""What an outbox kind is: the replies it sends now, or why not (postponed, missed, dropped)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from flows.replies import Out
from store.outbox import OutboxItem
from store.participants import Participant

__all__ = ["Missed", "OutboxKind", "Outcome", "PatientKind", "Postpone", "QuietKind"]


@dataclass(frozen=True)
class Postpone:
    """Not now: keep the row and try again at `until` (e.g. after quiet hours)."""

    until: datetime


@dataclass(frozen=True)
class Missed:
    """Too late to be useful (a reminder for a session that has started): record, don't send."""


# The replies to send now, a postponement, Missed, or None when no longer relevant.
Outcome = Sequence[Out] | Postpone | Missed | None


class OutboxKind(Protocol):
    """What one kind of outbox row (drip, reminder, broadcast…) sends."""

    async def render(self, item: OutboxItem, participant: Participant, now: datetime) -> Outcome:
        """The replies to send now, a postponement, Missed, or None when no longer relevant."""
        ...

    async def sent(self, item: OutboxItem, participant: Participant, now: datetime) -> None:
        """Called once the row's messages were delivered."""
        ...


class QuietKind:
    """A kind with nothing to record once delivered (the outbox row says it all)."""

    async def sent(self, item: OutboxItem, participant: Participant, now: datetime) -> None:
        """Nothing to record beyond the outbox row."""


class PatientKind(QuietKind):
    """A kind whose rows are never dropped for someone the bot cannot write to yet (no
    participant row, blocked, or Telegram's 403): they stay pending, marked as waiting,
    and are looked at again daily; whoever the row is for sees it at their /start."""
