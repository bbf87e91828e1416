"""Times as the store keeps them: ISO 8601 text in UTC (SQLite's TEXT, PostgreSQL's timestamptz)."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["from_db", "to_db"]


def to_db(moment: datetime) -> str:
    """A stored time: ISO 8601 in UTC, to the second. Naive datetimes are refused."""
    if moment.tzinfo is None:
        raise ValueError("refusing to store a naive datetime")
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def from_db(text: str) -> datetime:
    return datetime.fromisoformat(text)
