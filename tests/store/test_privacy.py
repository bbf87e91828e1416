"""Every table that keeps a person's Telegram id is known to /mydata and /forget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from store import audit, broadcasts, participants, roles
from store.db import Store
from store.privacy import PERSONAL, erase
from store.roles import Refusal, Role

PERSON_COLUMNS = {"participant_id", "telegram_id", "actor_id", "used_by", "person"}
# Each database's own catalogue: the tables, and a table's columns (as `name`).
TABLES = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    "postgresql": "SELECT table_name AS name FROM information_schema.tables"
    " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
}
COLUMNS = {
    "sqlite": "SELECT name FROM pragma_table_info(?)",
    "postgresql": "SELECT column_name AS name FROM information_schema.columns"
    " WHERE table_schema = current_schema() AND table_name = ?",
}


async def tables_of(store: Store) -> list[str]:
    return [row["name"] for row in await store.fetch_all(TABLES[store.dialect])]


async def test_every_column_that_names_a_person_is_listed(where: Path | str) -> None:
    async with Store(where) as store:
        naming = set()
        for table in await tables_of(store):
            for column in await store.fetch_all(COLUMNS[store.dialect], (table,)):
                if column["name"] in PERSON_COLUMNS:
                    naming.add((table, column["name"]))
    assert naming == set(PERSONAL)


ORGANISER = 770001234


async def every_value(store: Store) -> list[tuple[str, str, object]]:
    found = []
    for table in await tables_of(store):
        for row in await store.fetch_all(f"SELECT * FROM {table}"):
            found.extend((table, key, row[key]) for key in row.keys())  # noqa: SIM118
    return found


async def test_an_organiser_who_is_forgotten_is_named_nowhere(where: Path | str) -> None:
    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    async with Store(where) as store:
        await participants.seen(
            store,
            telegram_id=ORGANISER,
            chat_id=ORGANISER,
            first_name="Olga",
            last_name=None,
            username=None,
            language="en",
            now=now,
        )
        await participants.seen(
            store,
            telegram_id=5,
            chat_id=5,
            first_name="Ann",
            last_name=None,
            username=None,
            language="en",
            now=now,
        )
        await roles.grant(store, ORGANISER, Role.ORGANISER, None, now)
        await roles.grant(store, 5, Role.FACILITATOR, ORGANISER, now)
        await roles.create_invite(
            store, "unused", Role.ORGANISER, ORGANISER, now, now + timedelta(days=2)
        )
        await roles.create_invite(
            store, "used", Role.FACILITATOR, ORGANISER, now, now + timedelta(days=2)
        )
        assert await roles.use_invite(store, "used", 6, now) is Role.FACILITATOR
        made = await broadcasts.create(
            store,
            created_by=ORGANISER,
            audience="everyone",
            html="Hello",
            button=None,
            due_at=now,
            recipients=[5],
            now=now,
        )
        await broadcasts.set_progress_message(store, made.id, ORGANISER, 42)
        await audit.record(
            store,
            actor_id=None,
            action="role.grant",
            now=now,
            detail={"role": "organiser", "telegram_id": ORGANISER},
        )
        assert [v for v in await every_value(store) if v[2] == ORGANISER]

        await erase(store, ORGANISER, now)

        naming = [
            (table, column)
            for table, column, value in await every_value(store)
            if value == ORGANISER or (isinstance(value, str) and str(ORGANISER) in value)
        ]
        assert naming == []
        # What they made stays, but their unused invite grants nothing now.
        assert await roles.use_invite(store, "unused", 7, now) is Refusal.VOID
        assert await roles.roles_of(store, 5) == {Role.FACILITATOR}
        kept = await broadcasts.get(store, made.id)
        assert kept is not None
        assert kept.html == "Hello"
