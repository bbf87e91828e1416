"""Quoting consent: per reflection answer, how it may be used in the live session."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from store.db import Store, to_db

__all__ = ["Quote", "choices", "everyone", "set_choice"]


class Quote(StrEnum):
    NAME = "name"  # quote me by name
    ANONYMOUS = "anonymous"  # quote me, without my name
    PRIVATE = "private"  # for the organisers only


async def set_choice(
    store: Store, participant_id: int, questions: Iterable[str], choice: Quote, now: datetime
) -> None:
    """Record `choice` for each of `questions` (a later choice replaces an earlier one)."""
    async with store.transaction() as tx:
        await tx.execute_many(
            "INSERT INTO quote_consent (participant_id, question, choice, updated_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (participant_id, question)"
            " DO UPDATE SET choice = excluded.choice, updated_at = excluded.updated_at",
            [(participant_id, q, choice.value, to_db(now)) for q in questions],
        )


async def choices(store: Store, participant_id: int) -> dict[str, Quote]:
    """question → the participant's choice (questions they never chose are absent)."""
    rows = await store.fetch_all(
        "SELECT question, choice FROM quote_consent WHERE participant_id = ?", (participant_id,)
    )
    return {row[0]: Quote(row[1]) for row in rows}


async def everyone(store: Store) -> dict[tuple[int, str], Quote]:
    """(participant, question) → choice, for all who chose."""
    rows = await store.fetch_all("SELECT participant_id, question, choice FROM quote_consent")
    return {(row[0], row[1]): Quote(row[2]) for row in rows}
