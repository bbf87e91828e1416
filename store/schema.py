"""The schema's migrations, numbered files in store/migrations/ (the number is the version)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from store.errors import StoreError

__all__ = ["Migration", "migrations"]


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
