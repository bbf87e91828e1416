"""PostgreSQL's text as the store speaks it: placeholders, times, numbers, statuses, URLs.

No driver here (store/postgres.py has asyncpg): only the translations between the
store's SQLite-shaped habits and PostgreSQL's, each small enough to test alone.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime

__all__ = ["changed", "number_of", "placeholders", "shown", "time_of", "time_text"]

_MARK = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|\?")


@functools.lru_cache(maxsize=2048)
def placeholders(sql: str) -> str:
    """SQLite's `?` marks as PostgreSQL's `$1, $2…` (those inside quotes or comments stay)."""
    count = 0

    def number(found: re.Match[str]) -> str:
        nonlocal count
        if found.group() != "?":
            return found.group()
        count += 1
        return f"${count}"

    return _MARK.sub(number, sql)


def time_text(value: datetime | str) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def time_of(text: str) -> str:
    """timestamptz as the store keeps times everywhere: ISO 8601 in UTC."""
    return datetime.fromisoformat(text).astimezone(UTC).isoformat()


def number_of(text: str) -> int | float:
    """A `numeric` (SUM of integers) as SQLite gives it: an int when it is whole."""
    return float(text) if any(c in text for c in ".eEN") else int(text)


def shown(url: str) -> str:
    """The URL without its password (in the user part or the query), for messages and logs."""
    hidden = re.sub(r"(//[^:/@]+):[^@/]*@", r"\1:***@", url)
    return re.sub(r"([?&]password=)[^&]*", r"\1***", hidden)


def changed(status: str) -> int:
    """The rows a statement changed, from its status ("UPDATE 3", "INSERT 0 1")."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0
