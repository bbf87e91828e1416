"""The one door to the database: connect, migrate, transact, back up.

A `Store` is opened once per process. It runs SQLite in WAL mode with foreign keys
on and a busy timeout, applies the numbered migrations in `migrations/` (one
transaction each, the version kept in `PRAGMA user_version`) and refuses a
database written by a newer version of the bot.
"""

from __future__ import annotations

import asyncio
import enum
import heapq
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

__all__ = [
    "Migration",
    "Store",
    "StoreError",
    "backup",
    "cannot_write",
    "from_db",
    "migrations",
    "to_db",
]

BUSY_TIMEOUT_MS = 5000


class StoreError(Exception):
    """The database cannot be used as asked; the message says why."""


@dataclass(slots=True)
class _Turn:
    """The unit of work a task holds open (see `Store.turn`)."""

    store: Store
    task: asyncio.Task[object] | None
    serial: int = 0
    paused: bool = False


_TURN: ContextVar[_Turn | None] = ContextVar("store_turn", default=None)


class WriteLock:
    """One writer at a time, in order of arrival, except that a `priority` waiter goes
    ahead of the others: recording a delivery or storing what arrived must not queue
    behind a hundred people's turns (the longer it waits, the longer a crash could
    send that message twice, or Telegram waits for its confirmation)."""

    def __init__(self) -> None:
        self._held = False
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._arrivals = 0

    async def acquire(self, *, priority: bool = False) -> None:
        if not self._held and not self._waiters:
            self._held = True
            return
        self._arrivals += 1
        handed = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (0 if priority else 1, self._arrivals, handed))
        try:
            await handed
        except asyncio.CancelledError:
            if handed.done() and not handed.cancelled():
                self.release()  # it was handed over just as the waiter was cancelled
            raise

    def release(self) -> None:
        while self._waiters:
            _, _, handed = heapq.heappop(self._waiters)
            if not handed.done():
                handed.set_result(None)  # the lock passes on, still held
                return
        self._held = False

    @asynccontextmanager
    async def held(self, *, priority: bool = False) -> AsyncIterator[None]:
        await self.acquire(priority=priority)
        try:
            yield
        finally:
            self.release()


class StoreState(enum.Enum):
    UNOPENED = "unopened"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """The shipped migrations in order; the file number is the schema version."""
    found: list[Migration] = []
    for entry in resources.files("store.migrations").iterdir():
        if entry.name.endswith(".sql"):
            number, _, rest = entry.name.partition("_")
            found.append(Migration(int(number), rest.removesuffix(".sql"), entry.read_text()))
    found.sort(key=lambda m: m.version)
    expected = list(range(1, len(found) + 1))
    if [m.version for m in found] != expected:
        raise StoreError(f"migrations must be numbered 1..{len(found)} without gaps")
    return found


def cannot_write(exc: BaseException) -> bool:
    """The database refused the write (disk full, locked past the busy timeout, I/O
    trouble), as opposed to a bug: callers need not know it is SQLite saying so."""
    return isinstance(exc, sqlite3.OperationalError)


def to_db(moment: datetime) -> str:
    """A stored time: ISO 8601 in UTC. Naive datetimes are refused."""
    if moment.tzinfo is None:
        raise ValueError("refusing to store a naive datetime")
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def from_db(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Store:
    """An aiosqlite connection with migrations and a write transaction helper."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path) if str(path) != ":memory:" else path
        self._conn: aiosqlite.Connection | None = None
        self._state = StoreState.UNOPENED
        self._write_lock = WriteLock()

    @property
    def state(self) -> StoreState:
        return self._state

    async def open(self, available: Sequence[Migration] | None = None) -> None:
        """Connect, set the pragmas and bring the schema up to date."""
        if self._state is not StoreState.UNOPENED:
            raise StoreError(f"store is {self._state.value}; open a new Store instead")
        if isinstance(self.path, Path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        try:
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await _migrate(conn, migrations() if available is None else list(available), self.path)
        except BaseException:
            await conn.close()
            raise
        self._conn = conn
        self._state = StoreState.OPEN

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
        self._state = StoreState.CLOSED

    async def __aenter__(self) -> Store:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise StoreError(f"store is {self._state.value}, not open")
        return self._conn

    async def schema_version(self) -> int:
        row = await self.fetch_one("PRAGMA user_version")
        return int(row[0]) if row else 0

    def _own_turn(self) -> _Turn | None:
        """The turn this very task holds open on this store, if any (a task it spawned
        does not share it: that one waits for the write lock like everybody else)."""
        turn = _TURN.get()
        if turn is None or turn.store is not self or turn.task is not asyncio.current_task():
            return None
        return None if turn.paused else turn

    @property
    def in_turn(self) -> bool:
        return self._own_turn() is not None

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[aiosqlite.Connection]:
        """One unit of work that is committed whole or not at all: an update's handling.

        Every write the task makes inside it (through `transaction()` or `execute()`)
        joins it; a `transaction()` inside becomes a savepoint, so a failure it catches
        itself undoes only that part, as before. The write lock is held throughout, so
        a turn must not wait on the network: its replies go out after the commit.
        """
        if self._own_turn() is not None:
            raise StoreError("a turn is already open in this task")
        async with self._write_lock.held():
            conn = self.conn
            await conn.execute("BEGIN IMMEDIATE")
            token = _TURN.set(_Turn(self, asyncio.current_task()))
            try:
                yield conn
            except BaseException:
                _TURN.reset(token)
                await _rollback(conn)
                raise
            _TURN.reset(token)
            if not conn.in_transaction:
                # SQLite ended it by itself (an I/O error someone caught): what the turn
                # wrote after that was committed piecemeal. Never report that as whole.
                raise StoreError("the turn's transaction ended before its commit")
            try:
                await conn.execute("COMMIT")
            except BaseException:
                await _rollback(conn)
                raise

    @asynccontextmanager
    async def paused(self) -> AsyncIterator[None]:
        """Inside a turn: commit what it wrote so far and let everyone else write while
        a long piece of reading and building runs (an export made in a thread); the
        turn goes on afterwards. Outside a turn, nothing happens.

        What the turn wrote before is then committed on its own: use it only where
        doing that part twice after a crash is harmless (remembering who wrote)."""
        turn = self._own_turn()
        if turn is None:
            yield
            return
        conn = self.conn
        await conn.execute("COMMIT")
        turn.paused = True
        self._write_lock.release()
        try:
            yield
        finally:
            # Taken back whole even if the task is cancelled meanwhile: the turn unwinds
            # (rolls back, releases) only once the lock and the transaction are its own.
            resuming = asyncio.ensure_future(self._resume(conn, turn))
            try:
                await asyncio.shield(resuming)
            except asyncio.CancelledError:
                await resuming
                raise

    async def _resume(self, conn: aiosqlite.Connection, turn: _Turn) -> None:
        await self._write_lock.acquire()
        turn.paused = False
        await conn.execute("BEGIN IMMEDIATE")

    @asynccontextmanager
    async def transaction(self, *, priority: bool = False) -> AsyncIterator[aiosqlite.Connection]:
        """Group writes that must succeed or fail together (BEGIN IMMEDIATE … COMMIT);
        with `priority`, ahead of the writers already waiting."""
        turn = self._own_turn()
        if turn is not None:
            async with _savepoint(self.conn, turn):
                yield self.conn
            return
        async with self._write_lock.held(priority=priority):
            conn = self.conn
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                await _rollback(conn)
                raise
            try:
                await conn.execute("COMMIT")
            except BaseException:
                await _rollback(conn)
                raise

    async def execute(self, sql: str, params: Sequence[Any] = (), *, priority: bool = False) -> int:
        """Run one write on its own (atomic by itself); return the rows changed."""
        if self._own_turn() is not None:
            cursor = await self.conn.execute(sql, params)
            return cursor.rowcount
        async with self._write_lock.held(priority=priority):
            cursor = await self.conn.execute(sql, params)
            return cursor.rowcount

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        """The first row (queries here ask by key): one trip to the database thread."""
        rows = await self.conn.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> Iterable[aiosqlite.Row]:
        return await self.conn.execute_fetchall(sql, params)


async def _rollback(conn: aiosqlite.Connection) -> None:
    # A failed COMMIT (disk full) may have ended the transaction already.
    if conn.in_transaction:
        await conn.execute("ROLLBACK")


@asynccontextmanager
async def _savepoint(conn: aiosqlite.Connection, turn: _Turn) -> AsyncIterator[None]:
    turn.serial += 1
    name = f"step_{turn.serial}"
    await conn.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        await conn.execute(f"ROLLBACK TO {name}")
        await conn.execute(f"RELEASE {name}")
        raise
    await conn.execute(f"RELEASE {name}")


async def _migrate(conn: aiosqlite.Connection, available: list[Migration], path: object) -> None:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    current = int(row[0]) if row else 0
    newest = available[-1].version if available else 0
    if current > newest:
        raise StoreError(
            f"{path}: the database has schema version {current}, but this version of the "
            f"bot knows only up to {newest}; upgrade the bot (or restore a matching backup)"
        )
    for migration in available:
        if migration.version <= current:
            continue
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
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        src.backup(dst)
    # sqlite3's context manager commits but does not close
    src.close()
    dst.close()
