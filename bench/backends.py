"""The databases a bench runs on: a SQLite file, or a fresh database on a throwaway PostgreSQL.

`Databases(["sqlite", "postgresql"])` starts one PostgreSQL server for the whole run
(tests/postgres_server.py, as the tests do: the binaries pip installed, a Unix socket
only) and hands out a new empty database per measurement (`fresh`). Both live in the
same place, in memory (/dev/shm) when there is room, so the comparison is of the two
engines and their drivers, not of two disks. The test server runs with fsync off (on
tmpfs a flush costs nothing anyway); each bench database asks for
`synchronous_commit = on`, so a commit waits for its WAL as SQLite's does.
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import asyncpg

from tests.postgres_server import PostgresServer, _parent_folder

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
BACKENDS = (SQLITE, POSTGRESQL)
LABELS = {SQLITE: "SQLite", POSTGRESQL: "PostgreSQL"}


def chosen(option: str) -> list[str]:
    """`--database sqlite|postgresql|both` as the backends to run, SQLite first."""
    return list(BACKENDS) if option == "both" else [option]


class Databases:
    """`with Databases(backends) as dbs:` then `async with dbs.fresh(backend) as url:`."""

    def __init__(self, backends: Sequence[str]) -> None:
        self.backends = list(backends)
        self.server: PostgresServer | None = None
        self._names = itertools.count(1)

    def __enter__(self) -> Databases:
        if POSTGRESQL in self.backends:
            # From the main thread: the server lives as long as the thread that started it.
            self.server = PostgresServer(name="bench").start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    @asynccontextmanager
    async def fresh(self, backend: str) -> AsyncIterator[str]:
        """A new empty database for one measurement (a path or a URL, what `Store` opens),
        gone afterwards."""
        if backend == SQLITE:
            with _sqlite_file() as path:
                yield path
            return
        name = await self._create()
        try:
            yield self._url(name)
        finally:
            await self._drop(name)

    @contextmanager
    def fresh_sync(self, backend: str) -> Iterator[str]:
        """`fresh` outside an event loop (for a bench whose work runs in a child process)."""
        if backend == SQLITE:
            with _sqlite_file() as path:
                yield path
            return
        name = asyncio.run(self._create())
        try:
            yield self._url(name)
        finally:
            asyncio.run(self._drop(name))

    def _url(self, name: str) -> str:
        assert self.server is not None, "PostgreSQL was not asked for"
        return self.server.url(name)

    async def _create(self) -> str:
        assert self.server is not None, "PostgreSQL was not asked for"
        name = f"bench_{next(self._names)}"
        await self.server.create_database(name)
        connection = await asyncpg.connect(self.server.dsn)
        try:
            await connection.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = on')
        finally:
            await connection.close()
        return name

    async def _drop(self, name: str) -> None:
        assert self.server is not None
        await self.server.drop_database(name)


@contextmanager
def _sqlite_file() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="mooc-bench-", dir=_parent_folder()) as folder:
        yield str(Path(folder) / "bench.sqlite3")
