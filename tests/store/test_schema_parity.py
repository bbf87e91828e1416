"""Both migration sets build the same schema: the same tables, columns and version."""

from __future__ import annotations

from pathlib import Path

from store.db import Store
from store.schema import migrations

# PostgreSQL's stand-ins for SQLite's rowid, where the bot orders by it.
ROWID_COLUMNS = {("flow_states", "rowid"), ("mooc_logins", "rowid")}
# Where each database keeps its version: SQLite's PRAGMA user_version, a table in PostgreSQL.
VERSION_TABLE = "schema_version"


async def sqlite_schema(store: Store) -> dict[str, set[str]]:
    tables = await store.fetch_all(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    schema: dict[str, set[str]] = {}
    for table in (str(row[0]) for row in tables):
        columns = await store.fetch_all("SELECT name FROM pragma_table_info(?)", (table,))
        schema[table] = {str(row[0]) for row in columns}
    return schema


async def postgres_schema(store: Store) -> dict[str, set[str]]:
    rows = await store.fetch_all(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema()"
    )
    schema: dict[str, set[str]] = {}
    for table, column in ((str(row[0]), str(row[1])) for row in rows):
        if table != VERSION_TABLE and (table, column) not in ROWID_COLUMNS:
            schema.setdefault(table, set()).add(column)
    return schema


async def sqlite_indexes(store: Store) -> set[str]:
    rows = await store.fetch_all(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'"
    )
    return {str(row[0]) for row in rows}


async def postgres_indexes(store: Store) -> set[str]:
    """The indexes the migrations name (not those PostgreSQL makes for keys itself)."""
    rows = await store.fetch_all(
        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
        " AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'"
    )
    return {str(row[0]) for row in rows}


async def test_both_migration_sets_make_the_same_tables_and_columns(
    tmp_path: Path, postgres_url: str
) -> None:
    async with Store(tmp_path / "fresh.sqlite3") as lite, Store(postgres_url) as pg:
        assert await postgres_schema(pg) == await sqlite_schema(lite)
        assert await postgres_indexes(pg) == await sqlite_indexes(lite)
        assert await lite.schema_version() == await pg.schema_version()
        assert await pg.schema_version() == len(migrations("postgresql"))
        assert len(migrations("sqlite")) == len(migrations("postgresql"))


def test_both_migration_sets_have_the_same_numbers_and_names() -> None:
    ours = [(m.version, m.name) for m in migrations("sqlite")]
    assert ours == [(m.version, m.name) for m in migrations("postgresql")]
