"""The inbox: every update from Telegram, stored before Telegram is told it arrived.

A row is written (unique by `update_id`, so a redelivery is refused) and only then
confirmed to Telegram. It is handled in the same transaction as the handler's own
writes (`Store.turn`), so after a crash it is either pending still (nothing of it
was committed) or handled (all of it was). A handled row keeps its id only: the
text a person typed is dropped with the mark. An update whose handler keeps
failing is parked, with the error, so the person's later updates go on.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from store.db import Store, from_db, to_db
from store.rows import Row

__all__ = [
    "InboxItem",
    "InboxStatus",
    "Incoming",
    "counts",
    "earlier_pending",
    "forget",
    "is_pending",
    "mark_handled",
    "park",
    "parked",
    "pending",
    "pending_since",
    "purge_handled",
    "receive",
]


class InboxStatus(StrEnum):
    PENDING = "pending"
    HANDLED = "handled"
    PARKED = "parked"


@dataclass(frozen=True, slots=True)
class Incoming:
    """An update as it arrived: its id, whose it is, and its JSON."""

    update_id: int
    person: int
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class InboxItem:
    update_id: int
    person: int
    payload: dict[str, Any] | None
    status: InboxStatus
    attempts: int
    last_error: str | None
    received_at: datetime


def _item(row: Row) -> InboxItem:
    return InboxItem(
        update_id=row["update_id"],
        person=row["person"],
        payload=json.loads(row["payload"]) if row["payload"] is not None else None,
        status=InboxStatus(row["status"]),
        attempts=row["attempts"],
        last_error=row["last_error"],
        received_at=from_db(row["received_at"]),
    )


async def receive(store: Store, updates: Sequence[Incoming], now: datetime) -> list[int]:
    """Store a batch of updates in one transaction; return the ids that were new
    (an id seen before, handled or not, is a redelivery and is left alone). Ahead of
    other writers: Telegram waits for it, and so does the person."""
    fresh: list[int] = []
    if not updates:
        return fresh
    async with store.transaction(priority=True) as tx:
        for update in updates:
            changed = await tx.execute(
                "INSERT INTO inbox (update_id, person, payload, received_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (update_id) DO NOTHING",
                (
                    update.update_id,
                    update.person,
                    json.dumps(update.payload, ensure_ascii=False),
                    to_db(now),
                ),
            )
            if changed == 1:
                fresh.append(update.update_id)
    return fresh


async def pending(store: Store) -> list[InboxItem]:
    """Every update not yet handled nor parked, oldest first."""
    rows = await store.fetch_all("SELECT * FROM inbox WHERE status = 'pending' ORDER BY update_id")
    return [_item(row) for row in rows]


async def earlier_pending(store: Store, person: int, update_id: int) -> list[InboxItem]:
    """This person's updates stored before this one and not yet handled, oldest first
    (another process took them: with several processes, they go first)."""
    rows = await store.fetch_all(
        "SELECT * FROM inbox WHERE person = ? AND update_id < ? AND status = 'pending'"
        " ORDER BY update_id",
        (person, update_id),
    )
    return [_item(row) for row in rows]


async def pending_since(store: Store, received_before: datetime) -> list[InboxItem]:
    """Updates stored before `received_before` and still pending: a process that died
    left them (the others handle theirs within moments)."""
    rows = await store.fetch_all(
        "SELECT * FROM inbox WHERE status = 'pending' AND received_at < ? ORDER BY update_id",
        (to_db(received_before),),
    )
    return [_item(row) for row in rows]


async def is_pending(store: Store, update_id: int) -> bool:
    row = await store.fetch_one("SELECT status FROM inbox WHERE update_id = ?", (update_id,))
    return row is not None and row["status"] == InboxStatus.PENDING


async def mark_handled(store: Store, update_id: int, now: datetime) -> bool:
    """Handled: the text goes, the id stays (to refuse a redelivery). Call it inside
    the turn that did the handler's writes; False if it was not pending."""
    changed = await store.execute(
        "UPDATE inbox SET status = 'handled', payload = NULL, handled_at = ?"
        " WHERE update_id = ? AND status = 'pending'",
        (to_db(now), update_id),
    )
    return changed == 1


async def park(store: Store, update_id: int, attempts: int, error: str, now: datetime) -> bool:
    """Set aside an update whose handler kept failing; the person's next ones go on.
    False if it was not pending (another process handled it meanwhile)."""
    changed = await store.execute(
        "UPDATE inbox SET status = 'parked', attempts = ?, last_error = ?, handled_at = ?"
        " WHERE update_id = ? AND status = 'pending'",
        (attempts, error[:500], to_db(now), update_id),
    )
    return changed == 1


async def parked(store: Store) -> list[InboxItem]:
    rows = await store.fetch_all("SELECT * FROM inbox WHERE status = 'parked' ORDER BY update_id")
    return [_item(row) for row in rows]


async def purge_handled(store: Store, before: datetime) -> int:
    """Forget handled ids older than `before`: Telegram redelivers for a day at most,
    and after a week without updates it may start its ids afresh."""
    return await store.execute(
        "DELETE FROM inbox WHERE status = 'handled' AND handled_at < ?", (to_db(before),)
    )


async def forget(store: Store, person: int) -> int:
    """Erase a person's rows (their typed words may still be in a pending or parked one)."""
    return await store.execute("DELETE FROM inbox WHERE person = ?", (person,))


async def counts(store: Store) -> dict[InboxStatus, int]:
    rows = await store.fetch_all("SELECT status, COUNT(*) AS n FROM inbox GROUP BY status")
    return {InboxStatus(row["status"]): row["n"] for row in rows}
