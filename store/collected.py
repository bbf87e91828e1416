"""What was collected, read in bulk for facilitators: people, answers, registrations, reading.

A handful of queries, each over a whole table, so an export of ten thousand
participants costs a few reads instead of tens of thousands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from store.db import Store, from_db
from store.registrations import Registration, registration_of

__all__ = [
    "Given",
    "Person",
    "Versions",
    "answer_versions",
    "people",
    "registrations",
    "sections_read",
]


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


@dataclass(frozen=True, slots=True)
class Given:
    """One version of one answer."""

    participant_id: int
    step_id: str
    value: str
    answered_at: str  # as stored (ISO 8601, UTC, to the second): sorts in time order


class Versions(NamedTuple):
    latest: list[Given]  # the newest version of every answer
    first: list[Given]  # the first version of the answers with more than one


async def answer_versions(store: Store, flow_id: str) -> Versions:
    """The newest version of every answer in a dialogue, and the first of those edited
    (each in no particular order).

    One plain scan of the dialogue's answers; both ends are picked here, which is
    cheaper than a grouped join over the same rows, and costs nothing more when
    nobody edited (the first versions are kept only once a second one turns up).
    """
    rows = await store.fetch_all(
        "SELECT participant_id, step_id, value, version, answered_at FROM answers"
        " WHERE flow_id = ?",
        (flow_id,),
    )
    newest: dict[tuple[int, str], Any] = {}
    first: dict[tuple[int, str], Any] = {}
    for row in rows:
        key = (row[0], row[1])
        if (kept := newest.get(key)) is None:
            newest[key] = row
            continue
        if row[3] > kept[3]:  # newer: the one it replaces may be the first
            newest[key], row = row, kept
        if (oldest := first.get(key)) is None or row[3] < oldest[3]:
            first[key] = row
    return Versions(
        [Given(row[0], row[1], row[2], row[4]) for row in newest.values()],
        [Given(row[0], row[1], row[2], row[4]) for row in first.values()],
    )


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
        found.append(registration_of(row, position))
    return found


async def sections_read(store: Store) -> list[tuple[int, str]]:
    """(participant, section) for every section someone finished."""
    rows = await store.fetch_all("SELECT participant_id, section_id FROM sections_read")
    return [(row["participant_id"], row["section_id"]) for row in rows]
