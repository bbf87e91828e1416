"""The outbox: every message the bot promised to send later, until it is sent.

A row is queued with a de-duplication key (the same promise is never queued
twice), claimed by the dispatcher when due (status 'sending'), and then marked
sent, retried later, failed, cancelled or missed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import aiosqlite

from store import prompts
from store.db import Store, from_db, to_db

__all__ = [
    "WAITING_FOR_CHAT",
    "OutboxItem",
    "OutboxStatus",
    "cancel_keys",
    "cancel_pending",
    "claim_due",
    "counts",
    "counts_by_kind",
    "enqueue",
    "enqueue_reply",
    "for_participant",
    "mark",
    "move",
    "next_due",
    "pending_with_prefix",
    "recover_interrupted",
    "retry_later",
    "set_payload",
    "take_pending",
    "waiting_for_chat",
]


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    MISSED = "missed"


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    dedup_key: str
    participant_id: int
    chat_id: int
    kind: str
    payload: dict[str, Any]
    due_at: datetime
    status: OutboxStatus
    attempts: int
    last_error: str | None
    sent_at: datetime | None


def _item(row: aiosqlite.Row) -> OutboxItem:
    return OutboxItem(
        id=row["id"],
        dedup_key=row["dedup_key"],
        participant_id=row["participant_id"],
        chat_id=row["chat_id"],
        kind=row["kind"],
        payload=json.loads(row["payload"]),
        due_at=from_db(row["due_at"]),
        status=OutboxStatus(row["status"]),
        attempts=row["attempts"],
        last_error=row["last_error"],
        sent_at=from_db(row["sent_at"]) if row["sent_at"] else None,
    )


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
    async with store.transaction() as conn:
        if replace_kind:
            await conn.execute(
                "UPDATE outbox SET status = 'cancelled' WHERE participant_id = ? AND kind = ?"
                " AND status = 'pending' AND dedup_key != ?",
                (participant_id, kind, dedup_key),
            )
        cursor = await conn.execute(
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
        return cursor.rowcount == 1


REPLY = "reply"


async def enqueue_reply(
    store: Store,
    *,
    dedup_key: str,
    participant_id: int,
    chat_id: int,
    payload: dict[str, Any],
    now: datetime,
    lease: timedelta = timedelta(minutes=2),
) -> OutboxItem:
    """A reply owed for an update, queued in the handler's own transaction and taken
    at once by whoever sends it after the commit (status 'sending' with a lease): the
    dispatcher sends it only if that sender died first."""
    async with store.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO outbox (dedup_key, participant_id, chat_id, kind, payload, due_at,"
            " created_at, status, attempts, lease_until)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'sending', 1, ?)",
            (
                dedup_key,
                participant_id,
                chat_id,
                REPLY,
                json.dumps(payload, ensure_ascii=False),
                to_db(now),
                to_db(now),
                to_db(now + lease),
            ),
        )
        async with conn.execute("SELECT * FROM outbox WHERE id = ?", (cursor.lastrowid,)) as rows:
            row = await rows.fetchone()
    assert row is not None
    return _item(row)


async def claim_due(
    store: Store, now: datetime, limit: int = 50, lease: timedelta = timedelta(minutes=2)
) -> list[OutboxItem]:
    """Take up to `limit` due rows for sending: status 'sending' with a lease, one more attempt.

    A row whose lease ran out (its sender died mid-send) is due again.
    """
    async with store.transaction() as conn:
        # Replies a person is waiting for first (a partial index keeps this cheap).
        async with conn.execute(
            "SELECT id FROM outbox WHERE kind = 'reply' AND status IN ('pending', 'sending')"
            " AND ((status = 'pending' AND due_at <= ?) OR (status = 'sending'"
            " AND lease_until < ?)) ORDER BY due_at, id LIMIT ?",
            (to_db(now), to_db(now), limit),
        ) as cursor:
            ids = [row["id"] for row in await cursor.fetchall()]
        async with conn.execute(
            "SELECT id FROM outbox WHERE (status = 'pending' AND due_at <= ?)"
            " OR (status = 'sending' AND lease_until < ?) ORDER BY due_at, id LIMIT ?",
            (to_db(now), to_db(now), limit - len(ids)),
        ) as cursor:
            ids += [row["id"] for row in await cursor.fetchall() if row["id"] not in ids]
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        await conn.execute(
            f"UPDATE outbox SET status = 'sending', attempts = attempts + 1, lease_until = ?"
            f" WHERE id IN ({marks})",
            [to_db(now + lease), *ids],
        )
        async with conn.execute(
            f"SELECT * FROM outbox WHERE id IN ({marks}) ORDER BY kind = 'reply' DESC, due_at, id",
            ids,
        ) as cursor:
            return [_item(row) for row in await cursor.fetchall()]


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
    async with store.transaction(priority=True) as conn:
        if shown:
            await prompts.note(store, shown, max(when for _, when in sent))
        await conn.executemany(
            "DELETE FROM outbox WHERE id = ? AND kind = 'reply'", [(i,) for i, _ in sent]
        )
        await conn.executemany(
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


async def cancel_keys(store: Store, prefix: str) -> int:
    """Cancel the pending rows whose de-duplication key starts with `prefix`."""
    # substr, not LIKE: '_' in a session id must not act as a wildcard.
    return await store.execute(
        "UPDATE outbox SET status = 'cancelled' WHERE status = 'pending'"
        " AND substr(dedup_key, 1, ?) = ?",
        (len(prefix), prefix),
    )


async def pending_with_prefix(store: Store, prefix: str) -> list[OutboxItem]:
    rows = await store.fetch_all(
        "SELECT * FROM outbox WHERE status = 'pending' AND substr(dedup_key, 1, ?) = ? ORDER BY id",
        (len(prefix), prefix),
    )
    return [_item(row) for row in rows]


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


async def next_due(store: Store) -> datetime | None:
    row = await store.fetch_one(
        "SELECT MIN(moment) FROM (SELECT due_at AS moment FROM outbox WHERE status = 'pending'"
        " UNION ALL SELECT lease_until FROM outbox WHERE status = 'sending')"
    )
    return from_db(row[0]) if row and row[0] else None


async def recover_interrupted(store: Store) -> int:
    """Rows left 'sending' by a process that died: send them again (at least once)."""
    return await store.execute("UPDATE outbox SET status = 'pending' WHERE status = 'sending'")


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
    return [_item(row) for row in rows]


# last_error of a row kept for someone Telegram will not let the bot write to first.
WAITING_FOR_CHAT = "waiting: they have not written to the bot yet"


async def take_pending(
    store: Store, participant_id: int, kind: str, now: datetime
) -> list[OutboxItem]:
    """Their pending rows of `kind`, marked sent at once: the caller shows them itself
    (in the same transaction as its reply), so the dispatcher never sends them too."""
    async with store.transaction() as conn:
        async with conn.execute(
            "SELECT * FROM outbox WHERE participant_id = ? AND kind = ? AND status = 'pending'"
            " ORDER BY id",
            (participant_id, kind),
        ) as cursor:
            items = [_item(row) for row in await cursor.fetchall()]
        await conn.executemany(
            "UPDATE outbox SET status = 'sent', sent_at = ? WHERE id = ? AND status = 'pending'",
            [(to_db(now), item.id) for item in items],
        )
    return items


async def waiting_for_chat(store: Store) -> list[OutboxItem]:
    """Rows kept until their recipient writes to the bot (`mooc-bot outbox` lists them)."""
    rows = await store.fetch_all(
        "SELECT * FROM outbox WHERE status = 'pending' AND last_error = ? ORDER BY id",
        (WAITING_FOR_CHAT,),
    )
    return [_item(row) for row in rows]


async def keys_of_kinds(store: Store, kinds: Sequence[str]) -> list[str]:
    """The dedup keys of every row of these kinds, whatever their status."""
    marks = ", ".join("?" * len(kinds))
    rows = await store.fetch_all(f"SELECT dedup_key FROM outbox WHERE kind IN ({marks})", kinds)
    return [row["dedup_key"] for row in rows]
