"""PostgreSQL's migrations: applied once, in order, under an advisory lock, the version in a table.

Processes starting together each try; the lock makes the second wait and then find
nothing left to do. A database migrated by a newer bot is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from store.errors import StoreError
from store.schema import Migration, owed

__all__ = ["migrate"]

# Held (per transaction) while migrating: two processes starting at once migrate once.
MIGRATION_LOCK = 0x6D6F6F63  # "mooc"
VERSION_TABLE = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"


class Migrating(Protocol):
    """What a migration needs of store/postgres.py's `Link`."""

    async def begin(self) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int: ...

    async def script(self, sql: str) -> None: ...

    async def schema_version(self) -> int: ...


async def migrate(link: Migrating, available: list[Migration], where: str) -> None:
    await link.begin()
    try:
        await link.execute("SET LOCAL lock_timeout = 0")  # another process may be migrating
        await link.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
        await link.execute(VERSION_TABLE)
        for migration in owed(available, await link.schema_version(), where):
            try:
                await link.script(migration.sql)
            except StoreError as exc:
                raise StoreError(
                    f"{where}: migration {migration.version} ({migration.name}) failed: {exc}"
                ) from exc
            await link.execute("DELETE FROM schema_version")
            await link.execute("INSERT INTO schema_version VALUES (?)", (migration.version,))
        await link.commit()
    except BaseException:
        await link.rollback()
        raise
