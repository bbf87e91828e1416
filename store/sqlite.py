"""The SQLite driver behind the store: connections, pragmas, errors, migrations, backups.

The only module that touches aiosqlite or sqlite3. The rest of the store speaks to a
`Link` (a `Transaction`), gets rows of its own kind, and sees driver errors only as
the store's (`store.errors`).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import aiosqlite

from store.errors import NotAllowed, NotSaved, StoreError
from store.rows import Row, savepoint
from store.schema import Migration, owed

__all__ = ["BUSY_TIMEOUT_MS", "Link", "backup", "open_reader", "open_writer"]

BUSY_TIMEOUT_MS = 5000
PRAGMAS = (
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys = ON",
    "PRAGMA secure_delete = ON",
)

log = logging.getLogger("store.db")


def translate(exc: sqlite3.Error) -> StoreError:
    """SQLite's complaint as the store's: refused for now (locked, full, I/O), against
    the schema's rules, or anything else."""
    if isinstance(exc, sqlite3.OperationalError):
        return NotSaved(str(exc))
    if isinstance(exc, sqlite3.IntegrityError):
        return NotAllowed(str(exc))
    return StoreError(str(exc))


class Link:
    """One aiosqlite connection, spoken to in the store's own terms."""

    __slots__ = ("_conn",)
    dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            cursor = await self._conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise translate(exc) from exc
        return cursor.rowcount

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            cursor = await self._conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise translate(exc) from exc
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        try:
            await self._conn.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise translate(exc) from exc

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row (queries here ask by key): one trip to the database thread."""
        return next(iter(await self.fetch_all(sql, params)), None)

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> Iterable[Row]:
        try:
            return await self._conn.execute_fetchall(sql, params)
        except sqlite3.Error as exc:
            raise translate(exc) from exc

    async def begin(self) -> None:
        """The write transaction: IMMEDIATE, so it holds the database's one writer now."""
        await self.execute("BEGIN IMMEDIATE")

    async def commit(self) -> None:
        await self.execute("COMMIT")

    async def lock(self, key: str) -> None:
        """Nothing to wait for: one writer at a time already holds the whole database."""

    async def try_lock(self, key: str) -> bool:
        """Always free: the one writer holds the whole database."""
        return True

    async def notify(self, channel: str) -> None:
        """Nobody to tell: one process owns the database file."""

    async def schema_version(self) -> int:
        rows = list(await self.fetch_all("PRAGMA user_version"))
        return int(rows[0][0]) if rows else 0

    async def rollback(self) -> None:
        # A failed COMMIT (disk full) may have ended the transaction already.
        if self._conn.in_transaction:
            await self.execute("ROLLBACK")

    def savepoint(self, serial: int) -> AbstractAsyncContextManager[None]:
        return savepoint(self, serial)

    async def checkpoint(self, *, quiet: bool = False) -> bool:
        """Copy the WAL into the database file and truncate it to nothing. False if another
        process kept it from finishing (past the busy timeout): then it is tried again."""
        try:
            async with self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
                row = await cursor.fetchone()
            busy = "busy" if row is not None and row[0] else ""
        except sqlite3.Error as exc:  # what was committed stays committed: report, go on
            busy = str(exc)
        if busy and not quiet:
            log.warning(
                "the WAL could not be truncated yet (%s); trying after the next commit", busy
            )
        return not busy

    async def close(self) -> None:
        await self._conn.close()


async def _connect(path: Path | str) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = aiosqlite.Row
    try:
        for pragma in PRAGMAS:
            await conn.execute(pragma)
    except BaseException:
        await conn.close()
        raise
    return conn


async def open_writer(path: Path | str, available: list[Migration]) -> Link:
    """The write connection, in WAL mode, with the schema brought up to date and
    whatever an erase left in the WAL before a crash gone."""
    try:
        if isinstance(path, Path):
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = await _connect(path)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"{path}: cannot open the database ({exc})") from exc
    try:
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = NORMAL")
        await _migrate(conn, available, path)
        link = Link(conn)
        await link.checkpoint(quiet=True)
    except sqlite3.Error as exc:
        await conn.close()
        raise StoreError(f"{path}: not a database this bot can use ({exc})") from exc
    except BaseException:
        await conn.close()
        raise
    return link


async def open_reader(path: Path) -> Link:
    """A connection that only reads (and so sees only what is committed)."""
    try:
        conn = await _connect(path)
        try:
            await conn.execute("PRAGMA query_only = ON")
        except BaseException:
            await conn.close()
            raise
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: not a database this bot can use ({exc})") from exc
    return Link(conn)


async def _migrate(conn: aiosqlite.Connection, available: list[Migration], path: object) -> None:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    for migration in owed(available, int(row[0]) if row else 0, path):
        try:
            await conn.executescript(
                f"BEGIN IMMEDIATE;\n{migration.sql}\n"
                f"PRAGMA user_version = {migration.version};\nCOMMIT;"
            )
        except sqlite3.Error as exc:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise StoreError(
                f"{path}: migration {migration.version} ({migration.name}) failed: {exc}"
            ) from exc


def backup(source: Path, target: Path) -> None:
    """Copy a live database with SQLite's online backup (safe while the bot runs)."""
    if not source.is_file():
        raise StoreError(f"{source}: no database there")
    if target.resolve() == source.resolve():
        raise StoreError("the backup must go to another file than the database")
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        src.backup(dst)
    except sqlite3.Error as exc:  # not a database, locked past the timeout, a disk error
        raise StoreError(f"{source}: cannot back up ({exc})") from None
    finally:
        src.close()
        dst.close()
