"""Answers and dialogue state: every version of every answer, and where each dialogue stands."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from store.db import Store, from_db, to_db
from store.rows import Row

__all__ = [
    "Answer",
    "active_flow",
    "history",
    "latest",
    "load_state",
    "questions_answered",
    "save_step",
]


@dataclass(frozen=True, slots=True)
class Answer:
    participant_id: int
    flow_id: str
    step_id: str
    question: str
    value: str
    version: int
    answered_at: datetime


def _answer(row: Row) -> Answer:
    return Answer(
        participant_id=row["participant_id"],
        flow_id=row["flow_id"],
        step_id=row["step_id"],
        question=row["question"],
        value=row["value"],
        version=row["version"],
        answered_at=from_db(row["answered_at"]),
    )


async def load_state(store: Store, participant_id: int, flow_id: str) -> str | None:
    row = await store.fetch_one(
        "SELECT state FROM flow_states WHERE participant_id = ? AND flow_id = ?",
        (participant_id, flow_id),
    )
    return str(row["state"]) if row else None


async def active_flow(store: Store, participant_id: int) -> str | None:
    """The dialogue typed text belongs to: the most recent one that is listening."""
    row = await store.fetch_one(
        "SELECT flow_id FROM flow_states WHERE participant_id = ? AND listening = 1"
        " ORDER BY updated_at DESC, rowid DESC LIMIT 1",
        (participant_id,),
    )
    return str(row["flow_id"]) if row else None


async def save_step(
    store: Store,
    participant_id: int,
    flow_id: str,
    *,
    state: str,
    listening: bool,
    changed: Mapping[str, tuple[str, str]],
    now: datetime,
) -> None:
    """Save the dialogue state and a new version of each changed answer, together.

    `changed` maps step id to (question, value).
    """
    async with store.transaction() as tx:
        if listening:
            # Only one dialogue listens to typed text at a time.
            await tx.execute(
                "UPDATE flow_states SET listening = 0 WHERE participant_id = ? AND flow_id != ?",
                (participant_id, flow_id),
            )
        await tx.execute(
            "INSERT INTO flow_states (participant_id, flow_id, state, listening, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (participant_id, flow_id) DO UPDATE SET"
            " state = excluded.state, listening = excluded.listening,"
            " updated_at = excluded.updated_at",
            (participant_id, flow_id, state, int(listening), to_db(now)),
        )
        for step_id, (question, value) in changed.items():
            await tx.execute(
                "INSERT INTO answers (participant_id, flow_id, step_id, question, value, version,"
                " answered_at) SELECT ?, ?, ?, ?, ?, COALESCE(MAX(version), 0) + 1, ? FROM answers"
                " WHERE participant_id = ? AND flow_id = ? AND step_id = ?",
                (
                    participant_id,
                    flow_id,
                    step_id,
                    question,
                    value,
                    to_db(now),
                    participant_id,
                    flow_id,
                    step_id,
                ),
            )


async def latest(store: Store, participant_id: int, flow_id: str) -> dict[str, Answer]:
    """The newest version of each answer of one participant in one dialogue."""
    rows = await store.fetch_all(
        "SELECT a.* FROM answers a WHERE a.participant_id = ? AND a.flow_id = ? AND a.version ="
        " (SELECT MAX(version) FROM answers b WHERE b.participant_id = a.participant_id"
        " AND b.flow_id = a.flow_id AND b.step_id = a.step_id)",
        (participant_id, flow_id),
    )
    return {row["step_id"]: _answer(row) for row in rows}


async def questions_answered(store: Store, participant_id: int, flow_id: str) -> set[str]:
    """The questions with a (non-skipped) answer in their latest version."""
    given = await latest(store, participant_id, flow_id)
    return {a.question for a in given.values() if a.value}


async def history(store: Store, participant_id: int, flow_id: str, step_id: str) -> list[Answer]:
    rows = await store.fetch_all(
        "SELECT * FROM answers WHERE participant_id = ? AND flow_id = ? AND step_id = ?"
        " ORDER BY version",
        (participant_id, flow_id, step_id),
    )
    return [_answer(row) for row in rows]
