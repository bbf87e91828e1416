"""Reading the outbox: what is owed to whom, what comes next, the counts for reports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from store.db import Store, from_db
from store.outbox.item import WAITING_FOR_CHAT, OutboxItem, OutboxStatus, item_of

__all__ = [
    "counts",
    "counts_by_kind",
    "for_participant",
    "keys_of_kinds",
    "next_due",
    "pending_with_prefix",
    "waiting_for_chat",
]


async def pending_with_prefix(store: Store, prefix: str) -> list[OutboxItem]:
    rows = await store.fetch_all(
        "SELECT * FROM outbox WHERE status = 'pending' AND substr(dedup_key, 1, ?) = ? ORDER BY id",
        (len(prefix), prefix),
    )
    return [item_of(row) for row in rows]


async def next_due(store: Store) -> datetime | None:
    row = await store.fetch_one(
        "SELECT MIN(moment) FROM (SELECT due_at AS moment FROM outbox WHERE status = 'pending'"
        " UNION ALL SELECT lease_until FROM outbox WHERE status = 'sending')"
    )
    return from_db(row[0]) if row and row[0] else None


async def counts(store: Store) -> dict[OutboxStatus, int]:
    rows = await store.fetch_all("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
    return {OutboxStatus(row["status"]): row["n"] for row in rows}


async def counts_by_kind(store: Store) -> dict[str, dict[OutboxStatus, int]]:
    rows = await store.fetch_all(
        "SELECT kind, status, COUNT(*) AS n FROM outbox GROUP BY kind, status ORDER BY kind"
    )
    found: dict[str, dict[OutboxStatus, int]] = {}
    for row in rows:
        found.setdefault(row["kind"], {})[OutboxStatus(row["status"])] = row["n"]
    return found


async def for_participant(
    store: Store, participant_id: int, *, replies: bool = False
) -> list[OutboxItem]:
    """What is owed to a person (drips, reminders, broadcasts…); with `replies`, also
    the replies to what they sent."""
    rows = await store.fetch_all(
        "SELECT * FROM outbox WHERE participant_id = ? AND (? OR kind != 'reply') ORDER BY id",
        (participant_id, replies),
    )
    return [item_of(row) for row in rows]


async def waiting_for_chat(store: Store) -> list[OutboxItem]:
    """Rows kept until their recipient writes to the bot (`mooc-bot outbox` lists them)."""
    rows = await store.fetch_all(
        "SELECT * FROM outbox WHERE status = 'pending' AND last_error = ? ORDER BY id",
        (WAITING_FOR_CHAT,),
    )
    return [item_of(row) for row in rows]


async def keys_of_kinds(store: Store, kinds: Sequence[str]) -> list[str]:
    """The dedup keys of every row of these kinds, whatever their status."""
    marks = ", ".join("?" * len(kinds))
    rows = await store.fetch_all(f"SELECT dedup_key FROM outbox WHERE kind IN ({marks})", kinds)
    return [row["dedup_key"] for row in rows]
