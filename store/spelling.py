"""The few SQL spellings that differ between SQLite and PostgreSQL, one function each."""

from __future__ import annotations

__all__ = ["json_number", "json_text", "json_without", "skip_locked"]


def json_text(dialect: str, column: str, key: str) -> str:
    """A top-level text value of a JSON object kept in a TEXT column."""
    if dialect == "postgresql":
        return f"({column}::jsonb ->> '{key}')"
    return f"json_extract({column}, '$.{key}')"


def json_number(dialect: str, column: str, key: str) -> str:
    """A top-level number of a JSON object kept in a TEXT column (NULL if it is not one)."""
    if dialect == "postgresql":
        return (
            f"(CASE WHEN jsonb_typeof({column}::jsonb -> '{key}') = 'number'"
            f" THEN ({column}::jsonb ->> '{key}')::numeric END)"
        )
    return f"json_extract({column}, '$.{key}')"


def json_without(dialect: str, column: str, key: str) -> str:
    """The JSON object in a TEXT column without one of its keys."""
    if dialect == "postgresql":
        return f"({column}::jsonb - '{key}')::text"
    return f"json_remove({column}, '$.{key}')"


def skip_locked(dialect: str) -> str:
    """After a SELECT of rows to claim: rows another process is claiming are passed over
    (SQLite has one writer at a time, so nobody else is)."""
    return " FOR UPDATE SKIP LOCKED" if dialect == "postgresql" else ""
