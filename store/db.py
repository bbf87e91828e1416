"""The one door to the database: connect, migrate, transact, back up.

A `Store` is opened once per process. It runs SQLite in WAL mode with foreign keys
on and a busy timeout, applies the numbered migrations in `migrations/` (one
transaction each, the version kept in `PRAGMA user_version`) and refuses a
database written by a newer version of the bot.

Two connections: one writes (one writer at a time, `WriteLock`), one reads. A read
sees only what is committed, except that the task holding the write transaction (a
turn, a `transaction()`) reads through it and so sees its own writes. Deleted
content is overwritten with zeros (`secure_delete`), and after a commit that erased
a person (`scrub_after_commit`) the WAL is checkpointed and truncated, so that no
copy of what they typed stays in either file.
"""

from __future__ import annotations

import asyncio
import enum
import heapq
import logging
import sqlite3
import time
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
# After an erase, every commit for this long is followed by a truncating checkpoint: what
# was in flight then (a reply quoting the person to an organiser, the reply to /forget
# itself) is deleted once delivered, and that deletion's WAL copy must not outlive it.
SCRUB_WINDOW_S = 600.0
PRAGMAS = (
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys = ON",
    "PRAGMA secure_delete = ON",
)

log = logging.getLogger(__name__)


class StoreError(Exception):
    """The database cannot be used as asked; the message says why."""


@dataclass(slots=True)
class _Turn:
    """The unit of work a task holds open (see `Store.turn`)."""

    store: Store
    task: asyncio.Task[object] | None
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
        self._reader: aiosqlite.Connection | None = None
        self._state = StoreState.UNOPENED
        self._write_lock = WriteLock()
        self._writer: asyncio.Task[object] | None = None  # in a write transaction now
        self._scrub_until = 0.0  # monotonic; see scrub_after_commit
        self._scrub_owed = False  # a scrub that could not finish yet
        self._serial = 0  # names the savepoints

    @property
    def state(self) -> StoreState:
        return self._state

    async def open(self, available: Sequence[Migration] | None = None) -> None:
        """Connect, set the pragmas and bring the schema up to date."""
        if self._state is not StoreState.UNOPENED:
            raise StoreError(f"store is {self._state.value}; open a new Store instead")
        try:
            if isinstance(self.path, Path):
                self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = await _connect(self.path)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{self.path}: cannot open the database ({exc})") from exc
        reader: aiosqlite.Connection | None = None
        try:
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await _migrate(conn, migrations() if available is None else list(available), self.path)
            # Whatever an erase left in the WAL before a crash goes now.
            await _checkpoint(conn, quiet=True)
            if isinstance(self.path, Path):
                reader = await _connect(self.path)
                await reader.execute("PRAGMA query_only = ON")
        except sqlite3.Error as exc:
            await conn.close()
            raise StoreError(f"{self.path}: not a database this bot can use ({exc})") from exc
        except BaseException:
            await conn.close()
            raise
        self._conn = conn
        self._reader = reader  # in memory there is one database per connection: share it
        self._state = StoreState.OPEN

    async def close(self) -> None:
        if self._conn is not None and self._scrub_owed:
            await self._last_scrub(self._conn)
        for conn in (self._reader, self._conn):
            if conn is not None:
                await conn.close()
        self._conn = self._reader = None
        self._state = StoreState.CLOSED

    async def _last_scrub(self, conn: aiosqlite.Connection) -> None:
        """Before closing (a command that erased, say): keep trying for a while, for
        another process's reader may hold the WAL; then say plainly what is left."""
        for wait in (0.5, 1, 2, 4, 8):
            async with self._write_lock.held():
                if await _checkpoint(conn, quiet=True):
                    self._scrub_owed = False
                    return
            await asyncio.sleep(wait)
        log.error(
            "%s: the WAL still holds erased data (another process keeps reading it); it is "
            "truncated when the bot next erases someone or starts",
            self.path,
        )

    async def __aenter__(self) -> Store:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def conn(self) -> aiosqlite.Connection:
        """The write connection."""
        if self._conn is None:
            raise StoreError(f"store is {self._state.value}, not open")
        return self._conn

    @property
    def reading(self) -> aiosqlite.Connection:
        """The connection a read in this task goes through: the write connection for the
        task in a write transaction (it sees its own writes), else the read connection,
        which sees only what is committed."""
        conn = self.conn
        if self._reader is None or self._holds_writer():
            return conn
        return self._reader

    def _holds_writer(self) -> bool:
        """This very task has the write transaction open (a turn not paused, or a
        `transaction()`): its writes and reads go through it."""
        return self._writer is not None and self._writer is asyncio.current_task()

    def scrub_after_commit(self) -> None:
        """Inside a write transaction that erases someone: once it is committed, and
        after every commit for `SCRUB_WINDOW_S` more, copy the WAL into the database and
        truncate it, so the erased pages' old copies go."""
        self._scrub_owed = True
        self._scrub_until = time.monotonic() + SCRUB_WINDOW_S

    async def _after_write(self, conn: aiosqlite.Connection) -> None:
        """With the write lock still held and no transaction open: the scrub, if owed."""
        if self._scrub_owed or time.monotonic() < self._scrub_until:
            self._scrub_owed = not await _checkpoint(conn)

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
        async with self._write_lock.held(), self._writing() as conn:
            token = _TURN.set(_Turn(self, asyncio.current_task()))
            try:
                yield conn
            finally:
                _TURN.reset(token)
            if not conn.in_transaction:
                # SQLite ended it by itself (an I/O error someone caught): what the turn
                # wrote after that was committed piecemeal. Never report that as whole.
                raise StoreError("the turn's transaction ended before its commit")

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE … COMMIT (ROLLBACK on any error) with the write lock held;
        then, if the transaction erased someone, the scrub."""
        conn = self.conn
        await conn.execute("BEGIN IMMEDIATE")
        self._writer = asyncio.current_task()
        try:
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
        finally:
            self._writer = None
        await self._after_write(conn)

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
        self._writer = None
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
        self._writer = turn.task  # the turn's own task, not this one that resumes it

    @asynccontextmanager
    async def transaction(self, *, priority: bool = False) -> AsyncIterator[aiosqlite.Connection]:
        """Group writes that must succeed or fail together (BEGIN IMMEDIATE … COMMIT);
        with `priority`, ahead of the writers already waiting."""
        if self._holds_writer():
            self._serial += 1
            async with _savepoint(self.conn, self._serial):
                yield self.conn
            return
        async with self._write_lock.held(priority=priority), self._writing() as conn:
            yield conn

    async def execute(self, sql: str, params: Sequence[Any] = (), *, priority: bool = False) -> int:
        """Run one write on its own (atomic by itself); return the rows changed."""
        if self._holds_writer():
            cursor = await self.conn.execute(sql, params)
            return cursor.rowcount
        async with self._write_lock.held(priority=priority):
            cursor = await self.conn.execute(sql, params)
            await self._after_write(self.conn)
            return cursor.rowcount

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        """The first row (queries here ask by key): one trip to the database thread."""
        rows = await self.reading.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> Iterable[aiosqlite.Row]:
        return await self.reading.execute_fetchall(sql, params)


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


async def _checkpoint(conn: aiosqlite.Connection, *, quiet: bool = False) -> bool:
    """Copy the WAL into the database file and truncate it to nothing. False if another
    process kept it from finishing (past the busy timeout): then it is tried again."""
    try:
        async with conn.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
            row = await cursor.fetchone()
        busy = "busy" if row is not None and row[0] else ""
    except sqlite3.Error as exc:  # what was committed stays committed: report, go on
        busy = str(exc)
    if busy and not quiet:
        log.warning("the WAL could not be truncated yet (%s); trying after the next commit", busy)
    return not busy


async def _rollback(conn: aiosqlite.Connection) -> None:
    # A failed COMMIT (disk full) may have ended the transaction already.
    if conn.in_transaction:
        await conn.execute("ROLLBACK")


@asynccontextmanager
async def _savepoint(conn: aiosqlite.Connection, serial: int) -> AsyncIterator[None]:
    name = f"step_{serial}"
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
