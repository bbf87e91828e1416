"""A SQLite database copied, every row of every table, into an empty PostgreSQL one.

`copy(source, target)` takes two opened stores (so both are migrated, and must be
at the same schema version), refuses a target that already holds data, and writes
every table in foreign-key order, in batches, inside one PostgreSQL transaction:
all of it or nothing. Columns go by name; PostgreSQL's extra `rowid` columns
(flow_states, mooc_logins) get SQLite's rowid, so the order they keep stays. The
identity sequences are then set past the highest id (or SQLite's AUTOINCREMENT
mark, if higher), so new rows get new ids. After the commit, every table's rows
are counted on both sides; a difference is an error.

The source is read through its read connection: only what is committed, a batch
at a time. Stop the bot first: what it writes after the copy began is not copied
(and shows as a count that differs).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from store.db import Store
from store.errors import StoreError
from store.rows import Transaction

__all__ = ["BATCH", "TABLES", "Copied", "CopyReport", "copy", "plan"]

BATCH = 1000
# Every table of the bot's schema, parents before the tables that refer to them
# (participants first). tests/store/test_copy.py checks that the migrations create
# exactly these; a source with a table not listed is refused, not copied in part.
TABLES = (
    "participants",
    "audit_log",
    "course_progress",
    "sections_read",
    "outbox",
    "flow_states",
    "answers",
    "registrations",
    "mooc_logins",
    "session_times",
    "roles",
    "invites",
    "broadcasts",
    "quote_consent",
    "inbox",
    "flow_prompts",
)
ROWID = "rowid"  # PostgreSQL's stand-in for SQLite's rowid, where the order matters

Progress = Callable[[str, int], object]  # (table, rows just written)


@dataclass(frozen=True, slots=True)
class Copied:
    """One table: the rows written, and the rows each side holds after the commit."""

    table: str
    written: int
    source: int
    target: int


@dataclass(frozen=True, slots=True)
class CopyReport:
    version: int
    tables: tuple[Copied, ...]

    @property
    def rows(self) -> int:
        return sum(table.target for table in self.tables)


async def sqlite_tables(source: Store) -> list[str]:
    """The tables a SQLite database holds (not SQLite's own)."""
    rows = await source.fetch_all(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    return sorted(str(row[0]) for row in rows)


async def _sqlite_columns(source: Store, table: str) -> list[str]:
    rows = await source.fetch_all("SELECT name FROM pragma_table_info(?) ORDER BY cid", (table,))
    return [str(row[0]) for row in rows]


async def _postgres_columns(target: Store, table: str) -> list[str]:
    rows = await target.fetch_all(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
        (table,),
    )
    return [str(row[0]) for row in rows]


async def _count(db: Store | Transaction, table: str) -> int:
    row = await db.fetch_one(f"SELECT count(*) FROM {table}")  # our own table names
    return int(row[0]) if row is not None else 0


async def plan(source: Store, target: Store) -> dict[str, int]:
    """The rows of each table to copy, once everything is checked that can be before
    writing: the two databases, their versions and tables, and an empty target."""
    if source.dialect != "sqlite" or target.dialect != "postgresql":
        raise StoreError("the copy goes from a SQLite database to a PostgreSQL one")
    ours, theirs = await source.schema_version(), await target.schema_version()
    if ours != theirs:
        raise StoreError(
            f"the SQLite database has schema version {ours}, the PostgreSQL one {theirs}: "
            "open both with the same version of the bot"
        )
    found = await sqlite_tables(source)
    if sorted(TABLES) != found:
        unknown = sorted(set(found) - set(TABLES)) or sorted(set(TABLES) - set(found))
        raise StoreError(f"the SQLite database's tables are not the bot's ({', '.join(unknown)})")
    await _refuse_data(target)
    for table in TABLES:
        await _columns(source, target, table)
    return {table: await _count(source, table) for table in TABLES}


async def _refuse_data(target: Store | Transaction) -> None:
    for table in TABLES:
        held = await _count(target, table)
        if held:
            raise StoreError(
                f"the PostgreSQL database already holds data ({table}: {held:,} rows); "
                "copy only into an empty one"
            )


async def _columns(source: Store, target: Store, table: str) -> tuple[list[str], bool]:
    """The columns to copy by name, and whether PostgreSQL's `rowid` takes SQLite's."""
    ours = await _sqlite_columns(source, table)
    theirs = await _postgres_columns(target, table)
    with_rowid = ROWID in theirs and ROWID not in ours
    if sorted(ours) != sorted(c for c in theirs if not (with_rowid and c == ROWID)):
        raise StoreError(f"{table}: the columns differ ({ours} in SQLite, {theirs} in PostgreSQL)")
    return ours, with_rowid


async def copy(
    source: Store, target: Store, *, batch: int = BATCH, progress: Progress | None = None
) -> CopyReport:
    """Every row of `source` (SQLite) into the empty `target` (PostgreSQL), all or nothing."""
    await plan(source, target)
    written: dict[str, int] = {}
    async with target.transaction() as tx:
        await _refuse_data(tx)  # again, inside: nobody else wrote in between
        for table in TABLES:
            columns, with_rowid = await _columns(source, target, table)
            written[table] = await _copy_table(
                source, tx, table, columns, with_rowid, batch, progress
            )
        await _advance_sequences(source, tx)
    copied = [
        Copied(table, written[table], await _count(source, table), await _count(target, table))
        for table in TABLES
    ]
    differ = [c for c in copied if c.source != c.target]
    if differ:
        raise StoreError(
            "the counts differ after the copy ("
            + ", ".join(
                f"{c.table}: {c.source:,} in SQLite, {c.target:,} in PostgreSQL" for c in differ
            )
            + "): was the bot running? Stop it, empty the PostgreSQL database and copy again"
        )
    return CopyReport(await target.schema_version(), tuple(copied))


async def _copy_table(
    source: Store,
    tx: Transaction,
    table: str,
    columns: Sequence[str],
    with_rowid: bool,
    batch: int,
    progress: Progress | None,
) -> int:
    """One table, `batch` rows at a time in SQLite's rowid order; the rows written."""
    read = f"SELECT rowid, {_named(columns)} FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT ?"
    into = [*columns, ROWID] if with_rowid else list(columns)
    write = f"INSERT INTO {table} ({_named(into)}) VALUES ({', '.join('?' for _ in into)})"
    after, done = 0, 0
    while True:
        rows = list(await source.fetch_all(read, (after, batch)))
        if not rows:
            return done
        values: list[list[Any]] = [
            [row[i] for i in range(1, len(columns) + 1)] + ([row[0]] if with_rowid else [])
            for row in rows
        ]
        await tx.execute_many(write, values)
        after = int(rows[-1][0])
        done += len(rows)
        if progress is not None:
            progress(table, len(rows))


def _named(columns: Sequence[str]) -> str:
    return ", ".join(f'"{column}"' for column in columns)


async def _advance_sequences(source: Store, tx: Transaction) -> None:
    """Each identity column's next value past what SQLite ever handed out."""
    marks = {
        str(row[0]): int(row[1])
        for row in await source.fetch_all("SELECT name, seq FROM sqlite_sequence")
    }
    identities = await tx.fetch_all(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND is_identity = 'YES'"
    )
    for table, column in ((str(r[0]), str(r[1])) for r in identities):
        if table not in TABLES:
            continue
        highest = await tx.fetch_one(f'SELECT coalesce(max("{column}"), 0) FROM {table}')
        mark = max(int(highest[0]) if highest is not None else 0, marks.get(table, 0))
        await tx.execute(
            "SELECT setval(pg_get_serial_sequence(?, ?), ?, false)", (table, column, mark + 1)
        )
