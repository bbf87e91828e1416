"""Course progress: the card each participant saw last and the sections they finished."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from store.db import Store, from_db, to_db

__all__ = ["StoredProgress", "load", "save"]


@dataclass(frozen=True, slots=True)
class StoredProgress:
    section_id: str | None
    card: int
    finished: frozenset[str]
    updated_at: datetime | None


async def load(store: Store, participant_id: int) -> StoredProgress:
    row = await store.fetch_one(
        "SELECT section_id, card, updated_at FROM course_progress WHERE participant_id = ?",
        (participant_id,),
    )
    finished = await store.fetch_all(
        "SELECT section_id FROM sections_read WHERE participant_id = ?", (participant_id,)
    )
    return StoredProgress(
        section_id=row["section_id"] if row else None,
        card=row["card"] if row else 0,
        finished=frozenset(r["section_id"] for r in finished),
        updated_at=from_db(row["updated_at"]) if row else None,
    )


async def save(
    store: Store,
    participant_id: int,
    *,
    section_id: str,
    card: int,
    finished: frozenset[str],
    now: datetime,
) -> None:
    """Store the new position and any newly finished sections, together."""
    async with store.transaction() as tx:
        await tx.execute(
            "INSERT INTO course_progress (participant_id, section_id, card, updated_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (participant_id) DO UPDATE SET"
            " section_id = excluded.section_id, card = excluded.card,"
            " updated_at = excluded.updated_at",
            (participant_id, section_id, card, to_db(now)),
        )
        await tx.execute_many(
            "INSERT INTO sections_read (participant_id, section_id, finished_at)"
            " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            [(participant_id, section, to_db(now)) for section in sorted(finished)],
        )
