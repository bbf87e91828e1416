"""The schema's migrations: numbered files per database in store/migrations/<dialect>/."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from store.errors import StoreError

__all__ = ["DIALECTS", "Migration", "migrations", "owed"]

DIALECTS = ("sqlite", "postgresql")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations(dialect: str = "sqlite") -> list[Migration]:
    """The shipped migrations for one database in order; the file number is the schema
    version, the same for both databases (store/migrations/sqlite/, .../postgresql/)."""
    if dialect not in DIALECTS:
        raise StoreError(f"no migrations for {dialect!r}")
    found: list[Migration] = []
    for entry in resources.files(f"store.migrations.{dialect}").iterdir():
        if entry.name.endswith(".sql"):
            number, _, rest = entry.name.partition("_")
            found.append(Migration(int(number), rest.removesuffix(".sql"), entry.read_text()))
    found.sort(key=lambda m: m.version)
    expected = list(range(1, len(found) + 1))
    if [m.version for m in found] != expected:
        raise StoreError(f"{dialect} migrations must be numbered 1..{len(found)} without gaps")
    return found


def owed(available: list[Migration], current: int, where: object) -> list[Migration]:
    """The migrations a database at version `current` still needs, in order; refused
    if it was written by a newer bot than this one."""
    newest = available[-1].version if available else 0
    if current > newest:
        raise StoreError(
            f"{where}: the database has schema version {current}, but this version of the "
            f"bot knows only up to {newest}; upgrade the bot (or restore a matching backup)"
        )
    return [migration for migration in available if migration.version > current]
