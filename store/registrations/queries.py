"""Reading registrations: a person's, a session's, the counts and the calendar's sequence."""

from __future__ import annotations

from store.db import Store
from store.registrations.item import (
    LIVE,
    Registration,
    RegistrationStatus,
    registration_of,
    waitlist_place,
)

__all__ = ["calendar_changes", "counts", "every_session_of_everyone", "for_session", "live"]


async def live(store: Store, participant_id: int) -> list[Registration]:
    """A participant's registrations that are not cancelled, with waitlist positions."""
    rows = await store.fetch_all(
        f"SELECT * FROM registrations WHERE participant_id = ? AND {LIVE} ORDER BY id",
        (participant_id,),
    )
    return [registration_of(row, await waitlist_place(store, row)) for row in rows]


async def for_session(store: Store, session_id: str) -> list[Registration]:
    """Everyone live for a session: registered first, then the waitlist in order."""
    rows = await store.fetch_all(
        f"SELECT * FROM registrations WHERE session_id = ? AND {LIVE}"
        " ORDER BY status = 'waitlisted', queued_at, id",
        (session_id,),
    )
    return [registration_of(row, await waitlist_place(store, row)) for row in rows]


async def counts(store: Store, session_id: str) -> dict[RegistrationStatus, int]:
    rows = await store.fetch_all(
        "SELECT status, COUNT(*) AS n FROM registrations WHERE session_id = ? GROUP BY status",
        (session_id,),
    )
    return {RegistrationStatus(row["status"]): row["n"] for row in rows}


async def calendar_changes(store: Store, participant_id: int, session_id: str) -> int:
    """How often this person's event for the session changed: each registration, each
    cancellation and each 'moved' notice counts one. It never falls (rows are only
    erased with the person), so a calendar file made later carries a higher sequence."""
    row = await store.fetch_one(
        "SELECT (SELECT COUNT(*) + COUNT(*) FILTER (WHERE status = 'cancelled') FROM registrations"
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
