"""What a query gives back and what a transaction offers: the store's types, no driver's."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

__all__ = ["Reads", "Row", "Transaction", "savepoint"]


class Row(Protocol):
    """One row of a result, by column name or by position."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def keys(self) -> list[str]: ...


class Reads(Protocol):
    """Anything that answers queries: the store itself, or a transaction (which also
    sees its own uncommitted writes)."""

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> Iterable[Row]: ...


class Transaction(Reads, Protocol):
    """The writes of one `Store.transaction()`: committed together or not at all."""

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; the number of rows it changed."""
        ...

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one INSERT; the id of the row it added."""
        ...

    async def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement once per parameter row."""
        ...


@asynccontextmanager
async def savepoint(tx: Transaction, serial: int) -> AsyncIterator[None]:
    """A part of a transaction undone alone if it fails (the same SQL on both databases)."""
    name = f"step_{serial}"
    await tx.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        await tx.execute(f"ROLLBACK TO SAVEPOINT {name}")
        await tx.execute(f"RELEASE SAVEPOINT {name}")
        raise
    await tx.execute(f"RELEASE SAVEPOINT {name}")
