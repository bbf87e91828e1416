"""An outbox row as the rest of the bot sees it: its status and its fields."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from store.db import from_db
from store.rows import Row

__all__ = ["REPLY", "WAITING_FOR_CHAT", "OutboxItem", "OutboxStatus", "item_of"]

REPLY = "reply"
# last_error of a row kept for someone Telegram will not let the bot write to first.
WAITING_FOR_CHAT = "waiting: they have not written to the bot yet"


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


def item_of(row: Row) -> OutboxItem:
    """The item a stored row holds."""
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
