"""Promises made, changed and withdrawn: queueing outbox rows, moving and cancelling them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from store.db import Store, to_db
from store.outbox.item import REPLY, OutboxItem, item_of

__all__ = ["cancel_keys", "cancel_pending", "enqueue", "enqueue_reply", "move", "take_pending"]


async def enqueue(
    store: Store,
    *,
    dedup_key: str,
    participant_id: int,
    kind: str,
    due_at: datetime,
    now: datetime,
    chat_id: int | None = None,
    payload: dict[str, Any] | None = None,
    replace_kind: bool = False,
) -> bool:
    """Queue a message; False when this key is already pending or was sent.

    With `replace_kind`, the participant's other pending rows of this kind are
    cancelled in the same transaction (a newer promise replaces an older one).
    """
    async with store.transaction() as tx:
        if replace_kind:
            await tx.execute(
                "UPDATE outbox SET status = 'cancelled' WHERE participant_id = ? AND kind = ?"
                " AND status = 'pending' AND dedup_key != ?",
                (participant_id, kind, dedup_key),
            )
        changed = await tx.execute(
            "INSERT INTO outbox (dedup_key, participant_id, chat_id, kind, payload,"
            " due_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            # A cancelled promise may be made again; a sent one never is.
            " ON CONFLICT (dedup_key) DO UPDATE SET status = 'pending', attempts = 0,"
            " due_at = excluded.due_at, payload = excluded.payload"
            " WHERE outbox.status = 'cancelled'",
            (
                dedup_key,
                participant_id,
                participant_id if chat_id is None else chat_id,
                kind,
                json.dumps(payload or {}, ensure_ascii=False),
                to_db(due_at),
                to_db(now),
            ),
        )
        return changed == 1


async def enqueue_reply(
    store: Store,
    *,
    dedup_key: str,
    participant_id: int,
    chat_id: int,
    payload: dict[str, Any],
    now: datetime,
    lease: timedelta = timedelta(minutes=2),
    taken: bool = True,
) -> OutboxItem:
    """A reply owed for an update, queued in the handler's own transaction and, when
    `taken`, taken at once by whoever sends it after the commit (status 'sending' with
    a lease): the dispatcher sends it only if that sender died first. Not `taken` (a
    process that does not send), it is pending, for the leader's dispatcher."""
    async with store.transaction() as tx:
        row_id = await tx.insert(
            "INSERT INTO outbox (dedup_key, participant_id, chat_id, kind, payload, due_at,"
            " created_at, status, attempts, lease_until)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                dedup_key,
                participant_id,
                chat_id,
                REPLY,
                json.dumps(payload, ensure_ascii=False),
                to_db(now),
                to_db(now),
                "sending" if taken else "pending",
                1 if taken else 0,
                to_db(now + lease) if taken else None,
            ),
        )
        row = await tx.fetch_one("SELECT * FROM outbox WHERE id = ?", (row_id,))
    assert row is not None
    return item_of(row)


async def cancel_keys(store: Store, prefix: str) -> int:
    """Cancel the pending rows whose de-duplication key starts with `prefix`."""
    # substr, not LIKE: '_' in a session id must not act as a wildcard.
    return await store.execute(
        "UPDATE outbox SET status = 'cancelled' WHERE status = 'pending'"
        " AND substr(dedup_key, 1, ?) = ?",
        (len(prefix), prefix),
    )


async def move(store: Store, item_id: int, due_at: datetime) -> None:
    await store.execute(
        "UPDATE outbox SET due_at = ? WHERE id = ? AND status = 'pending'",
        (to_db(due_at), item_id),
    )


async def cancel_pending(store: Store, participant_id: int, kind: str | None = None) -> int:
    if kind is None:
        return await store.execute(
            "UPDATE outbox SET status = 'cancelled'"
            " WHERE participant_id = ? AND status = 'pending'",
            (participant_id,),
        )
    return await store.execute(
        "UPDATE outbox SET status = 'cancelled'"
        " WHERE participant_id = ? AND kind = ? AND status = 'pending'",
        (participant_id, kind),
    )


async def take_pending(
    store: Store, participant_id: int, kind: str, now: datetime
) -> list[OutboxItem]:
    """Their pending rows of `kind`, marked sent at once: the caller shows them itself
    (in the same transaction as its reply), so the dispatcher never sends them too.

    Only the rows this call changed from pending are its own: one the dispatcher of
    another process claimed meanwhile is that one's to send."""
    async with store.transaction() as tx:
        rows = await tx.fetch_all(
            "SELECT * FROM outbox WHERE participant_id = ? AND kind = ? AND status = 'pending'"
            " ORDER BY id",
            (participant_id, kind),
        )
        taken: list[OutboxItem] = []
        for item in map(item_of, rows):
            changed = await tx.execute(
                "UPDATE outbox SET status = 'sent', sent_at = ?"
                " WHERE id = ? AND status = 'pending'",
                (to_db(now), item.id),
            )
            if changed == 1:
                taken.append(item)
    return taken
