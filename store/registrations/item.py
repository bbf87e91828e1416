"""A registration as the rest of the bot sees it, and where it stands on the waitlist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from store.db import from_db
from store.rows import Reads, Row

__all__ = [
    "LIVE",
    "SEATED",
    "Details",
    "Registration",
    "RegistrationStatus",
    "registration_of",
    "waitlist_place",
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


def registration_of(row: Row, position: int | None = None) -> Registration:
    """The registration a stored row holds (with its waitlist place, if known)."""
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


async def waitlist_place(db: Reads, row: Row) -> int | None:
    """A waitlisted row's 1-based place in its session's queue; None if it has a seat."""
    if row["status"] != RegistrationStatus.WAITLISTED:
        return None
    found = await db.fetch_one(
        "SELECT COUNT(*) FROM registrations WHERE session_id = ? AND status = 'waitlisted'"
        " AND (queued_at < ? OR (queued_at = ? AND id <= ?))",
        (row["session_id"], row["queued_at"], row["queued_at"], row["id"]),
    )
    return int(found[0]) if found else None
