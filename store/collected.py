"""What was collected, read in bulk for facilitators: people, answers, registrations, reading.

A handful of queries, each over a whole table, so an export of ten thousand
participants costs a few reads instead of tens of thousands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from store.answers import Answer, _answer
from store.db import Store, from_db
from store.registrations import Registration, _registration

__all__ = ["Person", "latest_answers", "people", "registrations", "sections_read"]


@dataclass(frozen=True, slots=True)
class Person:
    telegram_id: int
    number: int  # 1, 2, … in the order people joined: "Participant 17"
    first_name: str
    last_name: str
    username: str
    language: str
    joined_at: datetime
    blocked: bool

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


async def people(store: Store) -> list[Person]:
    """Everyone the bot holds, in the order they joined (numbered from 1)."""
    rows = await store.fetch_all(
        "SELECT telegram_id, first_name, last_name, username, language, joined_at, status"
        " FROM participants ORDER BY joined_at, telegram_id"
    )
    return [
        Person(
            telegram_id=row["telegram_id"],
            number=number,
            first_name=row["first_name"],
            last_name=row["last_name"] or "",
            username=row["username"] or "",
            language=row["language"],
            joined_at=from_db(row["joined_at"]),
            blocked=row["status"] == "blocked",
        )
        for number, row in enumerate(rows, start=1)
    ]


async def latest_answers(store: Store, flow_id: str) -> list[Answer]:
    """The newest version of every answer in a dialogue, newest first."""
    rows = await store.fetch_all(
        "SELECT a.* FROM answers a JOIN (SELECT participant_id, step_id, MAX(version) AS v"
        " FROM answers WHERE flow_id = ? GROUP BY participant_id, step_id) newest"
        " ON a.participant_id = newest.participant_id AND a.step_id = newest.step_id"
        " AND a.version = newest.v WHERE a.flow_id = ? ORDER BY a.answered_at DESC, a.id DESC",
        (flow_id, flow_id),
    )
    return [_answer(row) for row in rows]


async def registrations(store: Store) -> list[Registration]:
    """Every live registration, per session: seated first, then the waitlist with positions."""
    rows = await store.fetch_all(
        "SELECT * FROM registrations WHERE status != 'cancelled'"
        " ORDER BY session_id, status = 'waitlisted', queued_at, id"
    )
    found: list[Registration] = []
    place: dict[str, int] = {}
    for row in rows:
        position = None
        if row["status"] == "waitlisted":
            position = place[row["session_id"]] = place.get(row["session_id"], 0) + 1
        found.append(_registration(row, position))
    return found


async def sections_read(store: Store) -> list[tuple[int, str]]:
    """(participant, section) for every section someone finished."""
    rows = await store.fetch_all("SELECT participant_id, section_id FROM sections_read")
    return [(row["participant_id"], row["section_id"]) for row in rows]
