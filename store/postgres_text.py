"""PostgreSQL's text as the store speaks it: placeholders, times, numbers, statuses, URLs.

Also the session settings every connection asks for (the text the codecs read).

No driver here (store/postgres.py has asyncpg): only the translations between the
store's SQLite-shaped habits and PostgreSQL's, each small enough to test alone.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

__all__ = ["SESSION", "changed", "number_of", "placeholders", "shown", "time_of", "time_text"]

# What every connection asks for. UTC and ISO dates: the timestamptz codec reads text
# (a database set to DateStyle "SQL, DMY" would break every read). As SQLite's busy
# timeout, a write that waits on another process's lock 5 s gives up as NotSaved
# (55P03), and the person is told it waits. Over TCP the server asks after the
# connection often, so that a machine that vanished lets its locks go in about 25 s,
# not after the system's two hours; its transaction left open ends after 5 minutes.
SESSION = {
    "timezone": "UTC",
    "DateStyle": "ISO, YMD",
    "IntervalStyle": "postgres",
    "application_name": "mooc-bot",
    "lock_timeout": "5000",
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "5",
    "tcp_keepalives_count": "3",
    "idle_in_transaction_session_timeout": "300000",
}
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
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(a database URL that cannot be read)"
    user, at, host = parts.netloc.rpartition("@")
    if at and ":" in user:
        user = user.split(":", 1)[0] + ":***"
    netloc = f"{user}@{host}" if at else host
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = "&".join(
        f"{quote(key)}=***" if key.lower() == "password" else f"{quote(key)}={quote(value)}"
        for key, value in pairs
    )
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def changed(status: str) -> int:
    """The rows a statement changed, from its status ("UPDATE 3", "INSERT 0 1")."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0
