"""Which database a URL names, and the connections the store opens on it (either driver).

`Target.of` reads `sqlite:///data/x.sqlite3` (or a bare path, or ":memory:") and
`postgresql://user@host/db`; `open_links` opens the write connection (migrating
the schema) and the read one through store/sqlite.py or store/postgres.py. Both
drivers' connections are a `Link`: the store speaks to nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qsl, urlsplit

from store import postgres, sqlite
from store.errors import StoreError
from store.postgres_text import shown
from store.rows import Transaction
from store.schema import Migration

__all__ = ["Link", "Target", "has_password", "open_links"]

SQLITE_SCHEME = "sqlite://"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
MEMORY = ":memory:"


class Link(Transaction, Protocol):
    """One connection of either driver, as the store uses it."""

    dialect: str

    @property
    def in_transaction(self) -> bool: ...

    async def begin(self) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...

    def savepoint(self, serial: int) -> AbstractAsyncContextManager[None]: ...

    async def checkpoint(self, *, quiet: bool = False) -> bool: ...

    async def lock(self, key: str) -> None: ...

    async def try_lock(self, key: str) -> bool: ...

    async def notify(self, channel: str) -> None: ...

    async def schema_version(self) -> int: ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Target:
    """A database: SQLite at `path` (None: in memory), or PostgreSQL at `url`."""

    dialect: str
    path: Path | None = None
    url: str = field(default="", repr=False)  # may carry the password: see __repr__

    @classmethod
    def of(cls, where: Path | str) -> Target:
        if isinstance(where, Path):
            return cls("sqlite", where)
        if where.startswith(POSTGRES_SCHEMES):
            return cls("postgresql", url=where)
        if where.startswith(SQLITE_SCHEME):
            rest = where.removeprefix(SQLITE_SCHEME)
            if not rest.startswith("/"):
                raise StoreError(f"{where}: write sqlite:///relative/path or sqlite:////abs/path")
            where = rest[1:]
        elif "://" in where:
            raise StoreError(f"{where.split('://')[0]}: not a database this bot knows")
        if where in ("", MEMORY):
            return cls("sqlite", None if where else Path("data/mooc-bot.sqlite3"))
        return cls("sqlite", Path(where))

    def __repr__(self) -> str:
        if self.dialect == "postgresql":
            return f"Target(dialect='postgresql', url={shown(self.url)!r})"
        return f"Target(dialect={self.dialect!r}, path={self.path!r})"

    def __str__(self) -> str:
        if self.dialect == "postgresql":
            return shown(self.url)
        return str(self.path) if self.path is not None else MEMORY


def has_password(url: str) -> bool:
    """The URL carries a password (which belongs in the environment, not a file)."""
    if not url.startswith(POSTGRES_SCHEMES):
        return False
    try:
        parts = urlsplit(url)
        asked = parse_qsl(parts.query, keep_blank_values=True)
        return parts.password is not None or any(k.lower() == "password" for k, _ in asked)
    except ValueError:
        return False


async def open_links(target: Target, available: Sequence[Migration]) -> tuple[Link, Link | None]:
    """The write connection (the schema brought up to date) and the read connection
    (None in memory, where there is one database per connection: the writer reads)."""
    if target.dialect == "postgresql":
        writer: Link = await postgres.open_writer(target.url, list(available))
        try:
            return writer, await postgres.open_reader(target.url)
        except BaseException:
            await writer.close()
            raise
    where: Path | str = target.path if target.path is not None else MEMORY
    lite: Link = await sqlite.open_writer(where, list(available))
    if target.path is None:
        return lite, None
    try:
        return lite, await sqlite.open_reader(target.path)
    except BaseException:
        await lite.close()
        raise
