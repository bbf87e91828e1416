"""The one door to the database: open, transact in turns, read, lock, scrub after an erase.

A `Store` is opened once per process on SQLite (a file) or PostgreSQL (a URL; see
store/link.py). Opening applies the numbered migrations of that database and
refuses one written by a newer version of the bot (the drivers' side:
store/sqlite.py, store/postgres.py).

Two connections: one writes (one writer at a time in this process, `WriteLock`),
one reads. A read sees only what is committed, except that the task holding the
write transaction (a turn, a `transaction()`) reads through it and so sees its own
writes. Across processes (PostgreSQL) what must not interleave takes a `lock`. On
SQLite, deleted content is overwritten with zeros and, after a commit that erased a
person (`scrub_after_commit`), the WAL is checkpointed and truncated, so that no
copy of what they typed stays in either file.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from store.errors import StoreError
from store.link import Link, Target, open_links
from store.lock import WriteLock
from store.postgres import Listener
from store.rows import Row, Transaction
from store.schema import Migration, migrations
from store.scrub import Scrub
from store.times import from_db, to_db

__all__ = ["Store", "StoreState", "from_db", "to_db"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Turn:
    """The unit of work a task holds open (see `Store.turn`)."""

    store: Store
    task: asyncio.Task[object] | None
    paused: bool = False
    locks: list[str] = field(default_factory=list)  # taken again after a pause


_TURN: ContextVar[_Turn | None] = ContextVar("store_turn", default=None)


class StoreState(enum.Enum):
    UNOPENED = "unopened"
    OPEN = "open"
    CLOSED = "closed"


class Store:
    """The database, with migrations, turns and a write transaction helper."""

    def __init__(self, where: Path | str) -> None:
        """`where`: a database URL (`sqlite:///data/x.sqlite3`, `postgresql://…`), a
        file's path, or ":memory:"."""
        self.target = Target.of(where)
        self.path: Path | str = self.target.path or str(self.target)  # no password
        self._conn: Link | None = None
        self._reader: Link | None = None
        self._state = StoreState.UNOPENED
        self._write_lock = WriteLock()
        self._writer: asyncio.Task[object] | None = None  # in a write transaction now
        self._scrub = Scrub()
        self._serial = 0  # names the savepoints

    @property
    def state(self) -> StoreState:
        return self._state

    async def open(self, available: Sequence[Migration] | None = None) -> None:
        """Connect, set the pragmas and bring the schema up to date."""
        if self._state is not StoreState.UNOPENED:
            raise StoreError(f"store is {self._state.value}; open a new Store instead")
        chosen = migrations(self.target.dialect) if available is None else list(available)
        # In memory there is one database per connection: the reader is the writer.
        self._conn, self._reader = await open_links(self.target, chosen)
        self._state = StoreState.OPEN

    @property
    def dialect(self) -> str:
        """ "sqlite" or "postgresql": for the few queries that differ (store modules only)."""
        return self.target.dialect

    @property
    def shared(self) -> bool:
        """Other processes may write to this database at the same time (PostgreSQL)."""
        return self.target.dialect == "postgresql"

    async def close(self) -> None:
        if self._conn is not None and self._scrub.owed:
            await self._scrub.last(self._conn, self._write_lock, self.path)
        for conn in (self._reader, self._conn):
            if conn is not None:
                await conn.close()
        self._conn = self._reader = None
        self._state = StoreState.CLOSED

    async def __aenter__(self) -> Store:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def _writes(self) -> Link:
        """The write connection."""
        if self._conn is None:
            raise StoreError(f"store is {self._state.value}, not open")
        return self._conn

    @property
    def _reads(self) -> Link:
        """The connection a read in this task goes through: the write connection for the
        task in a write transaction (it sees its own writes), else the read connection,
        which sees only what is committed."""
        conn = self._writes
        if self._reader is None or self._holds_writer():
            return conn
        return self._reader

    def _holds_writer(self) -> bool:
        """This very task has the write transaction open (a turn not paused, or a
        `transaction()`): its writes and reads go through it."""
        return self._writer is not None and self._writer is asyncio.current_task()

    def scrub_after_commit(self) -> None:
        """Inside a write transaction that erases someone: once it is committed, and
        after every commit for a while (store/scrub.py), truncate SQLite's WAL."""
        self._scrub.after_commit()

    async def schema_version(self) -> int:
        return await self._reads.schema_version()

    async def lock(self, key: str) -> None:
        """Inside a write transaction: hold `key` until it ends, so that another process's
        transaction on the same key (a person's turn, a session's seats) waits for it."""
        if not self._holds_writer():
            raise StoreError("a lock is taken inside a turn or a transaction")
        await self._writes.lock(key)
        turn = self._own_turn()
        if turn is not None:
            turn.locks.append(key)

    async def try_lock(self, key: str) -> bool:
        """As `lock`, without waiting: False (and nothing held) if another transaction
        holds `key` now."""
        if not self._holds_writer():
            raise StoreError("a lock is taken inside a turn or a transaction")
        taken = await self._writes.try_lock(key)
        turn = self._own_turn()
        if taken and turn is not None:
            turn.locks.append(key)
        return taken

    def listener(self) -> Listener | None:
        """A connection of its own for LISTEN and locks held across transactions (the
        dispatcher's leadership); None where one process owns the database (SQLite)."""
        return Listener(self.target.url) if self.shared else None

    async def notify(self, channel: str) -> None:
        """Tell the other processes (PostgreSQL's NOTIFY): in this task's transaction, at
        its commit; else at once, through the read connection (never inside another
        task's open transaction, whose rollback would lose it)."""
        if self.shared:
            await self._reads.notify(channel)

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
    async def turn(self) -> AsyncIterator[None]:
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
                yield
            finally:
                _TURN.reset(token)
            if not conn.in_transaction:
                # SQLite ended it by itself (an I/O error someone caught): what the turn
                # wrote after that was committed piecemeal. Never report that as whole.
                raise StoreError("the turn's transaction ended before its commit")

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[Link]:
        """BEGIN IMMEDIATE … COMMIT (ROLLBACK on any error) with the write lock held;
        then, if the transaction erased someone, the scrub."""
        conn = self._writes
        await conn.begin()
        self._writer = asyncio.current_task()
        try:
            try:
                yield conn
            except BaseException:
                await conn.rollback()
                raise
            try:
                await conn.commit()
            except BaseException:
                await conn.rollback()
                raise
        finally:
            self._writer = None
        await self._scrub.after_write(conn)

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
        conn = self._writes
        await conn.commit()
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

    async def _resume(self, conn: Link, turn: _Turn) -> None:
        await self._write_lock.acquire()
        turn.paused = False
        await conn.begin()
        self._writer = turn.task  # the turn's own task, not this one that resumes it
        for key in turn.locks:  # the commit before the pause let them go
            await conn.lock(key)

    @asynccontextmanager
    async def transaction(self, *, priority: bool = False) -> AsyncIterator[Transaction]:
        """Group writes that must succeed or fail together (BEGIN IMMEDIATE … COMMIT);
        with `priority`, ahead of the writers already waiting."""
        if self._holds_writer():
            self._serial += 1
            async with self._writes.savepoint(self._serial):
                yield self._writes
            return
        async with self._write_lock.held(priority=priority), self._writing() as conn:
            yield conn

    async def execute(self, sql: str, params: Sequence[Any] = (), *, priority: bool = False) -> int:
        """Run one write on its own (atomic by itself); return the rows changed."""
        if self._holds_writer():
            return await self._writes.execute(sql, params)
        async with self._write_lock.held(priority=priority):
            changed = await self._writes.execute(sql, params)
            await self._scrub.after_write(self._writes)
            return changed

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row (queries here ask by key): one trip to the database thread."""
        return await self._reads.fetch_one(sql, params)

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> Iterable[Row]:
        return await self._reads.fetch_all(sql, params)
