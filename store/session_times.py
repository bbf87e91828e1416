"""The start time each session had at the last run, to notice a session that moved."""

from __future__ import annotations

from datetime import datetime

from store.db import Store, from_db, to_db

__all__ = ["last_start", "remember"]


async def last_start(store: Store, session_id: str) -> datetime | None:
    row = await store.fetch_one(
        "SELECT starts_at FROM session_times WHERE session_id = ?", (session_id,)
    )
    return from_db(row["starts_at"]) if row is not None else None


async def remember(store: Store, session_id: str, starts_at: datetime) -> None:
    await store.execute(
        "INSERT INTO session_times (session_id, starts_at) VALUES (?, ?)"
        " ON CONFLICT (session_id) DO UPDATE SET starts_at = excluded.starts_at",
        (session_id, to_db(starts_at)),
    )
