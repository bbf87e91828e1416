"""Sending what is due: claiming rows with a lease, recording the outcome, recovering."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from store import prompts
from store.db import Store, to_db
from store.outbox.item import OutboxItem, OutboxStatus, item_of
from store.spelling import skip_locked

__all__ = ["claim_due", "mark", "mark_sent", "recover_interrupted", "retry_later", "set_payload"]


async def claim_due(
    store: Store,
    now: datetime,
    limit: int = 50,
    lease: timedelta = timedelta(minutes=2),
    *,
    replies_only: bool = False,
) -> list[OutboxItem]:
    """Take up to `limit` due rows for sending: status 'sending' with a lease, one more attempt.

    A row whose lease ran out (its sender died mid-send) is due again. Replies come
    first; with `replies_only`, nothing else (another process's replies, at once).
    """
    async with store.transaction() as tx:
        # Replies a person is waiting for first (a partial index keeps this cheap).
        rows = await tx.fetch_all(
            "SELECT id FROM outbox WHERE kind = 'reply' AND status IN ('pending', 'sending')"
            " AND ((status = 'pending' AND due_at <= ?) OR (status = 'sending'"
            " AND lease_until < ?)) ORDER BY due_at, id LIMIT ?" + skip_locked(store.dialect),
            (to_db(now), to_db(now), limit),
        )
        ids = [row["id"] for row in rows]
        rows = (
            []
            if replies_only
            else await tx.fetch_all(
                "SELECT id FROM outbox WHERE (status = 'pending' AND due_at <= ?)"
                " OR (status = 'sending' AND lease_until < ?) ORDER BY due_at, id LIMIT ?"
                + skip_locked(store.dialect),
                (to_db(now), to_db(now), limit - len(ids)),
            )
        )
        ids += [row["id"] for row in rows if row["id"] not in ids]
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        await tx.execute(
            f"UPDATE outbox SET status = 'sending', attempts = attempts + 1, lease_until = ?"
            f" WHERE id IN ({marks})",
            [to_db(now + lease), *ids],
        )
        rows = await tx.fetch_all(
            f"SELECT * FROM outbox WHERE id IN ({marks}) ORDER BY kind = 'reply' DESC, due_at, id",
            ids,
        )
        return [item_of(row) for row in rows]


async def mark(
    store: Store,
    item_id: int,
    status: OutboxStatus,
    *,
    now: datetime | None = None,
    error: str | None = None,
) -> None:
    sent_at = to_db(now) if status is OutboxStatus.SENT and now is not None else None
    await store.execute(
        "UPDATE outbox SET status = ?, sent_at = COALESCE(?, sent_at),"
        " last_error = COALESCE(?, last_error),"
        # A reply that ended (failed, cancelled) keeps no text: it may echo what was typed.
        " payload = CASE WHEN kind = 'reply' AND ? IN ('failed', 'cancelled', 'missed')"
        " THEN '{}' ELSE payload END WHERE id = ?",
        (status.value, sent_at, error, status.value, item_id),
    )


async def mark_sent(
    store: Store, sent: Sequence[tuple[int, datetime]], shown: Sequence[prompts.Shown] = ()
) -> None:
    """Several rows delivered, in one transaction (the dispatcher groups its records),
    with which of their messages now carry a dialogue's buttons (`shown`).

    A delivered reply leaves no row: what it said may echo what a person typed, and
    the inbox already records that its update was handled. Ahead of other writers:
    until it is written, a crash would send these again."""
    async with store.transaction(priority=True) as tx:
        if shown:
            await prompts.note(store, shown, max(when for _, when in sent))
        await tx.execute_many(
            "DELETE FROM outbox WHERE id = ? AND kind = 'reply'", [(i,) for i, _ in sent]
        )
        await tx.execute_many(
            "UPDATE outbox SET status = 'sent', sent_at = ? WHERE id = ?",
            [(to_db(when), item_id) for item_id, when in sent],
        )


async def retry_later(
    store: Store, item_id: int, due_at: datetime, error: str, *, count_attempt: bool = True
) -> None:
    """Back to pending until `due_at`; a 429 or a postponement is not a failed attempt."""
    await store.execute(
        "UPDATE outbox SET status = 'pending', due_at = ?, last_error = ?,"
        " attempts = attempts - ? WHERE id = ?",
        (to_db(due_at), error, 0 if count_attempt else 1, item_id),
    )


async def set_payload(store: Store, item_id: int, payload: dict[str, Any]) -> None:
    """(Ahead of other writers: it records how far a row's messages went out.)"""
    await store.execute(
        "UPDATE outbox SET payload = ? WHERE id = ?",
        (json.dumps(payload, ensure_ascii=False), item_id),
        priority=True,
    )


async def recover_interrupted(store: Store) -> int:
    """Rows left 'sending' by a process that died: send them again (at least once)."""
    return await store.execute("UPDATE outbox SET status = 'pending' WHERE status = 'sending'")
