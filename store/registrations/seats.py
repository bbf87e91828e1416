"""Taking, giving up and using seats: registering, the waitlist's promotions, attendance.

Every change runs in one write transaction holding the session's seats lock
(`Store.lock`: SQLite's one writer, PostgreSQL's advisory lock across processes),
so concurrent registrations for the last seats are decided one after the other:
never more registered than the capacity, the waitlist in the order people confirmed.
"""

from __future__ import annotations

from datetime import datetime

from store.db import Store, to_db
from store.registrations.item import (
    LIVE,
    SEATED,
    Details,
    Registration,
    RegistrationStatus,
    registration_of,
    waitlist_place,
)
from store.rows import Row, Transaction

__all__ = ["cancel", "fill_free_places", "mark_attended", "register", "set_attended"]


def seats_key(session_id: str) -> str:
    """The lock that a session's seat counting holds."""
    return f"seats:{session_id}"


async def _live_row(tx: Transaction, participant_id: int, session_id: str) -> Row | None:
    return await tx.fetch_one(
        f"SELECT * FROM registrations WHERE participant_id = ? AND session_id = ? AND {LIVE}",
        (participant_id, session_id),
    )


async def _seated(tx: Transaction, session_id: str) -> int:
    row = await tx.fetch_one(
        f"SELECT COUNT(*) FROM registrations WHERE session_id = ? AND {SEATED}", (session_id,)
    )
    return int(row[0]) if row else 0


def _values(details: Details) -> tuple[str, str, str, str, str]:
    """The details as their columns take them: name, email, organisation, role, knows."""
    return (details.name, details.email, details.organisation, details.role, details.knows)


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
    async with store.transaction() as tx:
        await store.lock(seats_key(session_id))
        existing = await _live_row(tx, participant_id, session_id)
        if existing is not None:
            await tx.execute(
                "UPDATE registrations SET name = ?, email = ?, organisation = ?, role = ?,"
                " knows = ?, updated_at = ? WHERE id = ?",
                (*_values(details), to_db(now), existing["id"]),
            )
            created = False
        else:
            full = capacity is not None and await _seated(tx, session_id) >= capacity
            status = RegistrationStatus.WAITLISTED if full else RegistrationStatus.REGISTERED
            await tx.execute(
                "INSERT INTO registrations (participant_id, session_id, status, name, email,"
                " organisation, role, knows, consent_at, created_at, updated_at, queued_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (participant_id, session_id, status.value, *_values(details), *[to_db(now)] * 4),
            )
            created = True
        row = await _live_row(tx, participant_id, session_id)
        assert row is not None
        return registration_of(row, await waitlist_place(tx, row)), created


async def _promote(
    tx: Transaction, session_id: str, capacity: int | None, now: datetime
) -> list[int]:
    promoted: list[int] = []
    while capacity is None or await _seated(tx, session_id) < capacity:
        first = await tx.fetch_one(
            "SELECT id FROM registrations WHERE session_id = ? AND status = 'waitlisted'"
            " ORDER BY queued_at, id LIMIT 1",
            (session_id,),
        )
        if first is None:
            break
        await tx.execute(
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
    by_id = {row["id"]: registration_of(row) for row in rows}
    return [by_id[i] for i in ids]


async def cancel(
    store: Store, participant_id: int, session_id: str, capacity: int | None, now: datetime
) -> tuple[Registration | None, list[Registration]]:
    """Cancel a live registration; the first on the waitlist moves up into a freed seat.

    Returns the cancelled registration (None if there was none) and who moved up.
    """
    async with store.transaction() as tx:
        await store.lock(seats_key(session_id))
        row = await _live_row(tx, participant_id, session_id)
        if row is None:
            return None, []
        await tx.execute(
            "UPDATE registrations SET status = 'cancelled', updated_at = ? WHERE id = ?",
            (to_db(now), row["id"]),
        )
        promoted = await _promote(tx, session_id, capacity, now)
    cancelled = await _by_ids(store, [row["id"]])
    return cancelled[0], await _by_ids(store, promoted)


async def fill_free_places(
    store: Store, session_id: str, capacity: int | None, now: datetime
) -> list[Registration]:
    """Move waitlisted people up while seats are free (e.g. after the capacity grew)."""
    async with store.transaction() as tx:
        await store.lock(seats_key(session_id))
        promoted = await _promote(tx, session_id, capacity, now)
    return await _by_ids(store, promoted)


async def set_attended(
    store: Store, participant_id: int, session_id: str, attended: bool, now: datetime
) -> bool:
    """Mark a seated person as attended (or not); False when nothing changed."""
    was, becomes = ("registered", "attended") if attended else ("attended", "registered")
    async with store.transaction() as tx:
        await store.lock(seats_key(session_id))
        changed = await tx.execute(
            "UPDATE registrations SET status = ?, updated_at = ?"
            " WHERE participant_id = ? AND session_id = ? AND status = ?",
            (becomes, to_db(now), participant_id, session_id, was),
        )
        return changed == 1


async def mark_attended(
    store: Store, session_id: str, emails: set[str], now: datetime
) -> tuple[int, int, set[str]]:
    """Mark the seated people with these e-mail addresses (any case) as attended.

    Returns (people newly marked, people already marked, addresses that match no seated
    person); people sharing an address are all marked.
    """
    wanted = {email.strip().casefold() for email in emails if email.strip()}
    async with store.transaction() as tx:
        await store.lock(seats_key(session_id))
        seated = await tx.fetch_all(
            f"SELECT id, email, status FROM registrations WHERE session_id = ? AND {SEATED}",
            (session_id,),
        )
        rows = [row for row in seated if row["email"].strip().casefold() in wanted]
        newly = [row["id"] for row in rows if row["status"] != "attended"]  # all who share one
        await tx.execute_many(
            "UPDATE registrations SET status = 'attended', updated_at = ? WHERE id = ?",
            [(to_db(now), rid) for rid in newly],
        )
    found = {row["email"].strip().casefold() for row in rows}
    return len(newly), len(rows) - len(newly), wanted - found
