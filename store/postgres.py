"""The PostgreSQL driver behind the store: connections, placeholders, types, errors, migrations.

The only module that touches asyncpg. It speaks the same `Link` as store/sqlite.py,
so the store's queries run on both: `?` placeholders become `$1…`, times are
`timestamptz` columns (compared as timestamps) that reach Python as the same ISO
text SQLite keeps, `numeric` sums come back as numbers, and PostgreSQL's errors
become the store's. A dropped connection is opened again before the next statement
outside a transaction (the one in flight fails as `NotSaved`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

import asyncpg

from store.errors import NotAllowed, NotSaved, StoreError
from store.postgres_schema import migrate
from store.postgres_text import (
    SESSION,
    changed,
    number_of,
    placeholders,
    shown,
    time_of,
    time_text,
)
from store.rows import Row, savepoint
from store.schema import Migration

__all__ = ["Link", "Listener", "open_reader", "open_writer"]

log = logging.getLogger("store.db")
CONNECT_TIMEOUT_S = 10.0
# The classes of SQLSTATE that mean "not now" rather than "never": connection trouble,
# too little room or memory, an operator's intervention, a lock that timed out, a
# serialization failure or a deadlock (the other transaction went ahead).
NOT_NOW = ("08", "53", "57", "55", "40", "58")


def translate(exc: BaseException) -> StoreError:
    """PostgreSQL's complaint as the store's: refused for now, against the schema's rules
    (a key, a check, a trigger's refusal), or anything else."""
    if isinstance(exc, asyncpg.IntegrityConstraintViolationError | asyncpg.RaiseError):
        return NotAllowed(str(exc))
    if isinstance(exc, asyncpg.PostgresError):
        state = str(getattr(exc, "sqlstate", "") or "")
        if state.startswith(NOT_NOW):
            return NotSaved(str(exc))
        return StoreError(str(exc))
    return NotSaved(f"the database cannot be reached ({type(exc).__name__}: {exc})")


_FAILURES = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,  # a connection the server ended that asyncpg had not noticed
    OSError,
    TimeoutError,
)
# After these the connection is of no more use: it is dropped, and opened again next time.
_BROKEN = (
    asyncpg.PostgresConnectionError,
    asyncpg.AdminShutdownError,  # the backend was ended (a restart, pg_terminate_backend)
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
    TimeoutError,
)


async def _connect(url: str) -> asyncpg.Connection:
    try:
        conn = await asyncpg.connect(
            url,
            timeout=CONNECT_TIMEOUT_S,
            statement_cache_size=512,
            server_settings=SESSION,
        )
    except ValueError as exc:  # a bad port or option (asyncpg's ClientConfigurationError)
        raise StoreError(f"{shown(url)}: not a PostgreSQL URL this bot can use ({exc})") from exc
    except _FAILURES as exc:
        raise NotSaved(f"{shown(url)}: cannot connect to PostgreSQL ({exc})") from exc
    try:
        await conn.set_type_codec(
            "timestamptz", schema="pg_catalog", encoder=time_text, decoder=time_of, format="text"
        )
        await conn.set_type_codec(
            "numeric", schema="pg_catalog", encoder=str, decoder=number_of, format="text"
        )
    except BaseException:
        await conn.close()
        raise
    return conn


class Link:
    """One asyncpg connection, spoken to in the store's own terms."""

    dialect = "postgresql"

    def __init__(self, url: str, conn: asyncpg.Connection) -> None:
        self._url = url
        self._conn = conn
        # One statement at a time, as on SQLite's thread: tasks reading at once take turns
        # (asyncpg refuses a second operation on a busy connection).
        self._turns = asyncio.Lock()
        self._begun = False  # a BEGIN not yet ended by COMMIT or ROLLBACK

    @property
    def in_transaction(self) -> bool:
        return self._conn.is_in_transaction()

    async def _ready(self) -> asyncpg.Connection:
        """The connection, opened again if it was lost between transactions. Lost in
        the middle of one, it is not: what followed would be committed piecemeal."""
        if self._conn.is_closed():
            if self._begun:
                raise NotSaved("the connection to PostgreSQL was lost; nothing of it was kept")
            log.warning("the connection to PostgreSQL was lost; connecting again")
            self._conn = await _connect(self._url)
        return self._conn

    async def _run(self, call: Callable[[asyncpg.Connection], Awaitable[Any]]) -> Any:
        async with self._turns:
            conn = await self._ready()
            try:
                return await call(conn)
            except _FAILURES as exc:
                if isinstance(exc, _BROKEN):
                    conn.terminate()
                raise translate(exc) from exc

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        status = await self._run(lambda conn: conn.execute(placeholders(sql), *params))
        return changed(str(status))

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        query = placeholders(sql) + " RETURNING id"
        return int(await self._run(lambda conn: conn.fetchval(query, *params)))

    async def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        batch = [tuple(row) for row in rows]
        if batch:
            await self._run(lambda conn: conn.executemany(placeholders(sql), batch))

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = await self._run(lambda conn: conn.fetchrow(placeholders(sql), *params))
        return row

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> Iterable[Row]:
        rows: list[Row] = await self._run(lambda conn: conn.fetch(placeholders(sql), *params))
        return rows

    async def script(self, sql: str) -> None:
        """Several statements as they are (a migration): no placeholders, no parameters."""

        async def run(conn: asyncpg.Connection) -> None:
            await conn.execute(sql)

        await self._run(run)

    async def begin(self) -> None:
        """A write transaction (READ COMMITTED; what must not interleave takes a `lock`)."""
        await self.execute("BEGIN")
        self._begun = True

    async def commit(self) -> None:
        # COMMIT of a transaction a failed statement aborted rolls back, and says so.
        status = await self._run(lambda conn: conn.execute("COMMIT"))
        self._begun = False
        if status != "COMMIT":
            raise NotSaved("the transaction failed before its commit; nothing of it was kept")

    async def rollback(self) -> None:
        try:
            if not self._conn.is_closed() and self._conn.is_in_transaction():
                await self.execute("ROLLBACK")
        finally:
            self._begun = False

    async def lock(self, key: str) -> None:
        """Wait for `key` (a person, a session's seats) and hold it until the transaction
        ends: another process's transaction on the same key waits for this one."""
        await self.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", (key,))

    async def try_lock(self, key: str) -> bool:
        """As `lock`, without waiting: False if another transaction holds `key`."""
        row = await self.fetch_one(
            "SELECT pg_try_advisory_xact_lock(hashtextextended(?, 0))", (key,)
        )
        return bool(row is not None and row[0])

    async def notify(self, channel: str) -> None:
        """Tell every process listening on `channel` (at the commit, inside a transaction)."""
        await self.execute("SELECT pg_notify(?, '')", (channel,))

    def savepoint(self, serial: int) -> AbstractAsyncContextManager[None]:
        return savepoint(self, serial)

    async def checkpoint(self, *, quiet: bool = False) -> bool:
        """Nothing to do: PostgreSQL reclaims deleted rows by its own VACUUM."""
        return True

    async def schema_version(self) -> int:
        row = await self.fetch_one("SELECT max(version) FROM schema_version")
        return int(row[0]) if row is not None and row[0] is not None else 0

    async def close(self) -> None:
        if not self._conn.is_closed():
            await self._conn.close()


async def open_writer(url: str, available: list[Migration]) -> Link:
    """The write connection, with the schema brought up to date (once, whoever starts first)."""
    link = Link(url, await _connect(url))
    try:
        await migrate(link, available, shown(url))
    except BaseException:
        await link.close()
        raise
    return link


async def open_reader(url: str) -> Link:
    """A second connection for reads outside the write transaction (committed data only)."""
    return Link(url, await _connect(url))


class Listener:
    """A connection of its own that holds what outlives a transaction: LISTEN for other
    processes' notices, and session-wide advisory locks (the dispatcher's leadership)."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._conn: asyncpg.Connection | None = None
        self._lost: list[Callable[[], None]] = []

    async def open(self) -> None:
        self._conn = await _connect(self._url)  # with the keepalives (SESSION)
        self._conn.add_termination_listener(lambda _conn: self._fire_lost())

    async def check(self, timeout: float) -> bool:
        """The connection still answers within `timeout` seconds (else it is closed, and
        what it held is lost)."""
        if self._conn is None or self._conn.is_closed():
            return False
        try:
            await self._conn.fetchval("SELECT 1", timeout=timeout)
        except (TimeoutError, *_FAILURES):
            self._conn.terminate()
            self._fire_lost()
            return False
        return True

    def _fire_lost(self) -> None:
        for callback in self._lost:
            callback()

    def on_lost(self, callback: Callable[[], None]) -> None:
        """Called once the connection is gone (its locks went with it)."""
        self._lost.append(callback)

    @property
    def alive(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    async def try_lock(self, key: int) -> bool:
        """Take a lock held for as long as this connection lives, if nobody has it."""
        assert self._conn is not None
        try:
            return bool(await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", key))
        except _FAILURES as exc:
            raise translate(exc) from exc

    async def listen(self, channel: str, callback: Callable[[], None]) -> None:
        assert self._conn is not None
        try:
            await self._conn.add_listener(channel, lambda *_: callback())
        except _FAILURES as exc:
            raise translate(exc) from exc

    async def close(self) -> None:
        self._lost.clear()
        if self._conn is not None and not self._conn.is_closed():
            await self._conn.close()
