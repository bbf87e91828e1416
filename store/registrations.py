"""Registrations for sessions: capacity, waitlist order, cancellation and promotion.

Every change runs in one write transaction (BEGIN IMMEDIATE), so concurrent
registrations for the last seats are decided one after the other: never more
registered than the capacity, the waitlist in the order people confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import aiosqlite

from store.db import Store, from_db, to_db

__all__ = [
    "Details",
    "Registration",
    "RegistrationStatus",
    "calendar_changes",
    "cancel",
    "counts",
    "fill_free_places",
    "for_session",
    "live",
    "mark_attended",
    "register",
    "set_attended",
]

LIVE = "status != 'cancelled'"
SEATED = "status IN ('registered', 'attended')"


class RegistrationStatus(StrEnum):
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    ATTENDED = "attended"


@dataclass(frozen=True, slots=True)
class Details:
    name: str
    email: str
    organisation: str = ""
    role: str = ""
    knows: str = ""


@dataclass(frozen=True, slots=True)
class Registration:
    id: int
    participant_id: int
    session_id: str
    status: RegistrationStatus
    details: Details
    created_at: datetime
    updated_at: datetime
    position: int | None = None  # 1-based place on the waitlist
    consent_at: datetime | None = None  # when they consented (set by every read of a row)


def _registration(row: aiosqlite.Row, position: int | None = None) -> Registration:
    return Registration(
        id=row["id"],
        participant_id=row["participant_id"],
        session_id=row["session_id"],
        status=RegistrationStatus(row["status"]),
        details=Details(row["name"], row["email"], row["organisation"], row["role"], row["knows"]),
        created_at=from_db(row["created_at"]),
        updated_at=from_db(row["updated_at"]),
        position=position,
        consent_at=from_db(row["consent_at"]),
    )


async def _position(conn: aiosqlite.Connection, row: aiosqlite.Row) -> int | None:
    if row["status"] != RegistrationStatus.WAITLISTED:
        return None
    async with conn.execute(
        "SELECT COUNT(*) FROM registrations WHERE session_id = ? AND status = 'waitlisted'"
        " AND (queued_at < ? OR (queued_at = ? AND id <= ?))",
        (row["session_id"], row["queued_at"], row["queued_at"], row["id"]),
    ) as cursor:
        found = await cursor.fetchone()
    return int(found[0]) if found else None


async def _live_row(
    conn: aiosqlite.Connection, participant_id: int, session_id: str
) -> aiosqlite.Row | None:
    async with conn.execute(
        f"SELECT * FROM registrations WHERE participant_id = ? AND session_id = ? AND {LIVE}",
        (participant_id, session_id),
    ) as cursor:
        return await cursor.fetchone()


async def _seated(conn: aiosqlite.Connection, session_id: str) -> int:
    async with conn.execute(
        f"SELECT COUNT(*) FROM registrations WHERE session_id = ? AND {SEATED}", (session_id,)
    ) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def register(
    store: Store,
    *,
    participant_id: int,
    session_id: str,
    capacity: int | None,
    details: Details,
    now: datetime,
) -> tuple[Registration, bool]:
    """Register (or waitlist) a participant; registering again only updates the details.

    Returns the registration and whether it is new.
    """
    async with store.transaction() as conn:
        existing = await _live_row(conn, participant_id, session_id)
        if existing is not None:
            await conn.execute(
                "UPDATE registrations SET name = ?, email = ?, organisation = ?, role = ?,"
                " knows = ?, updated_at = ? WHERE id = ?",
                (
                    details.name,
                    details.email,
                    details.organisation,
                    details.role,
                    details.knows,
                    to_db(now),
                    existing["id"],
                ),
            )
            created = False
        else:
            full = capacity is not None and await _seated(conn, session_id) >= capacity
            status = RegistrationStatus.WAITLISTED if full else RegistrationStatus.REGISTERED
            await conn.execute(
                "INSERT INTO registrations (participant_id, session_id, status, name, email,"
                " organisation, role, knows, consent_at, created_at, updated_at, queued_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    participant_id,
                    session_id,
                    status.value,
                    details.name,
                    details.email,
                    details.organisation,
                    details.role,
                    details.knows,
                    to_db(now),
                    to_db(now),
                    to_db(now),
                    to_db(now),
                ),
            )
            created = True
        row = await _live_row(conn, participant_id, session_id)
        assert row is not None
        return _registration(row, await _position(conn, row)), created


async def _promote(
    conn: aiosqlite.Connection, session_id: str, capacity: int | None, now: datetime
) -> list[int]:
    promoted: list[int] = []
    while capacity is None or await _seated(conn, session_id) < capacity:
        async with conn.execute(
            "SELECT id FROM registrations WHERE session_id = ? AND status = 'waitlisted'"
            " ORDER BY queued_at, id LIMIT 1",
            (session_id,),
        ) as cursor:
            first = await cursor.fetchone()
        if first is None:
            break
        await conn.execute(
            "UPDATE registrations SET status = 'registered', updated_at = ? WHERE id = ?",
            (to_db(now), first["id"]),
        )
        promoted.append(first["id"])
    return promoted


async def _by_ids(store: Store, ids: list[int]) -> list[Registration]:
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = await store.fetch_all(f"SELECT * FROM registrations WHERE id IN ({marks})", ids)
    by_id = {row["id"]: _registration(row) for row in rows}
    return [by_id[i] for i in ids]


async def cancel(
    store: Store, participant_id: int, session_id: str, capacity: int | None, now: datetime
) -> tuple[Registration | None, list[Registration]]:
    """Cancel a live registration; the first on the waitlist moves up into a freed seat.

    Returns the cancelled registration (None if there was none) and who moved up.
    """
    async with store.transaction() as conn:
        row = await _live_row(conn, participant_id, session_id)
        if row is None:
            return None, []
        await conn.execute(
            "UPDATE registrations SET status = 'cancelled', updated_at = ? WHERE id = ?",
            (to_db(now), row["id"]),
        )
        promoted = await _promote(conn, session_id, capacity, now)
    cancelled = await _by_ids(store, [row["id"]])
    return cancelled[0], await _by_ids(store, promoted)


async def fill_free_places(
    store: Store, session_id: str, capacity: int | None, now: datetime
) -> list[Registration]:
    """Move waitlisted people up while seats are free (e.g. after the capacity grew)."""
    async with store.transaction() as conn:
        promoted = await _promote(conn, session_id, capacity, now)
    return await _by_ids(store, promoted)


async def live(store: Store, participant_id: int) -> list[Registration]:
    """A participant's registrations that are not cancelled, with waitlist positions."""
    rows = await store.fetch_all(
        f"SELECT * FROM registrations WHERE participant_id = ? AND {LIVE} ORDER BY id",
        (participant_id,),
    )
    return [_registration(row, await _position(store.reading, row)) for row in rows]


async def for_session(store: Store, session_id: str) -> list[Registration]:
    """Everyone live for a session: registered first, then the waitlist in order."""
    rows = await store.fetch_all(
        f"SELECT * FROM registrations WHERE session_id = ? AND {LIVE}"
        " ORDER BY status = 'waitlisted', queued_at, id",
        (session_id,),
    )
    return [_registration(row, await _position(store.reading, row)) for row in rows]


async def counts(store: Store, session_id: str) -> dict[RegistrationStatus, int]:
    rows = await store.fetch_all(
        "SELECT status, COUNT(*) AS n FROM registrations WHERE session_id = ? GROUP BY status",
        (session_id,),
    )
    return {RegistrationStatus(row["status"]): row["n"] for row in rows}


async def set_attended(
    store: Store, participant_id: int, session_id: str, attended: bool, now: datetime
) -> bool:
    """Mark a seated person as attended (or not); False when nothing changed."""
    was, becomes = ("registered", "attended") if attended else ("attended", "registered")
    async with store.transaction() as conn:
        cursor = await conn.execute(
            "UPDATE registrations SET status = ?, updated_at = ?"
            " WHERE participant_id = ? AND session_id = ? AND status = ?",
            (becomes, to_db(now), participant_id, session_id, was),
        )
        return cursor.rowcount == 1


async def mark_attended(
    store: Store, session_id: str, emails: set[str], now: datetime
) -> tuple[int, int, set[str]]:
    """Mark the seated people with these e-mail addresses (any case) as attended.

    Returns (people newly marked, people already marked, addresses that match no seated
    person); people sharing an address are all marked.
    """
    wanted = {email.strip().casefold() for email in emails if email.strip()}
    async with store.transaction() as conn:
        cursor = await conn.execute(
            f"SELECT id, email, status FROM registrations WHERE session_id = ? AND {SEATED}",
            (session_id,),
        )
        rows = [row for row in await cursor.fetchall() if row["email"].strip().casefold() in wanted]
        newly = [row["id"] for row in rows if row["status"] != "attended"]  # all who share one
        await conn.executemany(
            "UPDATE registrations SET status = 'attended', updated_at = ? WHERE id = ?",
            [(to_db(now), rid) for rid in newly],
        )
    found = {row["email"].strip().casefold() for row in rows}
    return len(newly), len(rows) - len(newly), wanted - found


async def calendar_changes(store: Store, participant_id: int, session_id: str) -> int:
    """How often this person's event for the session changed: each registration, each
    cancellation and each 'moved' notice counts one. It never falls (rows are only
    erased with the person), so a calendar file made later carries a higher sequence."""
    row = await store.fetch_one(
        "SELECT (SELECT COUNT(*) + COALESCE(SUM(status = 'cancelled'), 0) FROM registrations"
        "  WHERE participant_id = ? AND session_id = ?)"
        " + (SELECT COUNT(*) FROM outbox WHERE participant_id = ? AND kind = 'moved'"
        "  AND substr(dedup_key, 1, ?) = ?)",
        (
            participant_id,
            session_id,
            participant_id,
            len(f"moved:{session_id}:"),
            f"moved:{session_id}:",
        ),
    )
    return int(row[0]) if row else 0


async def every_session_of_everyone(store: Store) -> list[tuple[int, str]]:
    """(participant, session) of every registration, cancelled ones too."""
    rows = await store.fetch_all("SELECT participant_id, session_id FROM registrations")
    return [(int(row["participant_id"]), str(row["session_id"])) for row in rows]
