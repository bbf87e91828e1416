"""Audit log: who did what, when, to how many — for organiser and facilitator actions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from store.db import Store, from_db, to_db

__all__ = ["AuditEntry", "recent", "record"]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor_id: int | None
    action: str
    detail: dict[str, Any]
    recipients: int | None


async def record(
    store: Store,
    *,
    actor_id: int | None,
    action: str,
    now: datetime,
    detail: dict[str, Any] | None = None,
    recipients: int | None = None,
) -> None:
    await store.execute(
        "INSERT INTO audit_log (at, actor_id, action, detail, recipients) VALUES (?, ?, ?, ?, ?)",
        (to_db(now), actor_id, action, json.dumps(detail or {}, ensure_ascii=False), recipients),
    )


async def recent(store: Store, limit: int = 50) -> list[AuditEntry]:
    rows = await store.fetch_all("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", (limit,))
    return [
        AuditEntry(
            id=row["id"],
            at=from_db(row["at"]),
            actor_id=row["actor_id"],
            action=row["action"],
            detail=json.loads(row["detail"]),
            recipients=row["recipients"],
        )
        for row in rows
    ]
