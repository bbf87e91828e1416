"""The pool of free MOOC login codes: imported by organisers, each handed out exactly once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from store.db import Store, to_db

__all__ = ["add_codes", "assign", "available", "code_for", "total", "waiting"]


async def add_codes(store: Store, codes: Iterable[str], now: datetime) -> tuple[int, int]:
    """Add codes to the pool; returns (added, duplicates skipped)."""
    added = skipped = 0
    async with store.transaction() as tx:
        for code in codes:
            changed = await tx.execute(
                "INSERT INTO mooc_logins (code, imported_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (code, to_db(now)),
            )
            if changed == 1:
                added += 1
            else:
                skipped += 1
    return added, skipped


async def assign(store: Store, participant_id: int, now: datetime) -> str | None:
    """The participant's code: the one they already have, else the next free one, else None
    (none left, or they were forgotten meanwhile).

    Holds `mooc_logins` (two processes handing out codes: never the same one; an erase
    holds it too, so a code never goes to someone being forgotten)."""
    async with store.transaction() as tx:
        await store.lock("mooc_logins")
        mine = await tx.fetch_one(
            "SELECT code FROM mooc_logins WHERE participant_id = ?", (participant_id,)
        )
        if mine is not None:
            return str(mine["code"])
        free = await tx.fetch_one(
            "SELECT code FROM mooc_logins WHERE participant_id IS NULL ORDER BY rowid LIMIT 1"
        )
        if (
            free is None
            or await tx.fetch_one(
                "SELECT 1 FROM participants WHERE telegram_id = ?", (participant_id,)
            )
            is None
        ):
            return None
        await tx.execute(
            "UPDATE mooc_logins SET participant_id = ?, assigned_at = ? WHERE code = ?",
            (participant_id, to_db(now), free["code"]),
        )
        return str(free["code"])


async def code_for(store: Store, participant_id: int) -> str | None:
    row = await store.fetch_one(
        "SELECT code FROM mooc_logins WHERE participant_id = ?", (participant_id,)
    )
    return str(row["code"]) if row else None


async def available(store: Store) -> int:
    row = await store.fetch_one("SELECT COUNT(*) FROM mooc_logins WHERE participant_id IS NULL")
    return int(row[0]) if row else 0


async def total(store: Store) -> int:
    row = await store.fetch_one("SELECT COUNT(*) FROM mooc_logins")
    return int(row[0]) if row else 0


async def waiting(store: Store) -> list[int]:
    """Participants signed up for a session who have no login code yet, first come first."""
    rows = await store.fetch_all(
        "SELECT participant_id FROM registrations WHERE status != 'cancelled'"
        " AND participant_id NOT IN (SELECT participant_id FROM mooc_logins"
        " WHERE participant_id IS NOT NULL) GROUP BY participant_id ORDER BY MIN(id)"
    )
    return [int(row["participant_id"]) for row in rows]
