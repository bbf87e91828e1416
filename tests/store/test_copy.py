"""A SQLite database copied to PostgreSQL: every row, the order SQLite kept, fresh ids after."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from store import (
    answers,
    audit,
    broadcasts,
    consent,
    course,
    inbox,
    logins,
    outbox,
    participants,
    prompts,
    registrations,
    roles,
    session_times,
)
from store.copy import TABLES, copy, sqlite_tables
from store.db import Store
from store.errors import StoreError
from store.outbox import OutboxStatus
from store.privacy import erase
from store.registrations import Details
from store.schema import migrations

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PEOPLE = range(1, 8)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


async def fill(store: Store) -> None:
    """Every kind of row the bot writes, through the store's own functions."""
    for person in PEOPLE:
        await participants.seen(
            store,
            telegram_id=person,
            chat_id=1000 + person,
            first_name=f"Person {person}",
            last_name="Ö'Brien" if person % 2 else None,
            username=f"p{person}" if person % 3 else None,
            language="nl" if person == 2 else "en",
            now=at(person),
        )
    await participants.mark_blocked(store, 3)
    await participants.set_drips_paused(store, 4, True)
    await participants.count_nudge(store, 4)
    for version, text in enumerate(["first", "second, edited", "third\nwith a line break"]):
        await answers.save_step(
            store,
            1,
            "reflection",
            state=json.dumps({"step": version}),
            listening=version < 2,
            changed={"q1": ("What did you notice?", text), "q2": ("Why?", f"because {version}")},
            now=at(10 + version),
        )
    await answers.save_step(
        store, 7, "reflection", state="{}", listening=False, changed={"q1": ("Q", "x")}, now=at(13)
    )
    await answers.save_step(
        store, 2, "registration", state="{}", listening=True, changed={}, now=at(12)
    )  # after 7's: erasing 7 leaves a gap in the rowids
    details = Details(name="Ann", email="ann@example.org", organisation="Org", role="r", knows="k")
    for person in (1, 2, 4, 5):  # capacity 2: 4 and 5 wait
        await registrations.register(
            store, participant_id=person, session_id="s1", capacity=2, details=details, now=at(20)
        )
    await registrations.cancel(store, 1, "s1", 2, at(21))  # 4 moves up, 5 still waits
    await registrations.register(
        store, participant_id=6, session_id="s2", capacity=None, details=details, now=at(22)
    )
    for key, status in [("a", None), ("b", OutboxStatus.SENT), ("c", OutboxStatus.FAILED)]:
        await outbox.enqueue(
            store,
            dedup_key=f"drip:{key}",
            participant_id=1,
            kind="drip",
            due_at=at(30),
            now=at(29),
            payload={"card": key},
        )
        if status is not None:
            (item,) = await outbox.pending_with_prefix(store, f"drip:{key}")
            await outbox.mark(store, item.id, status, now=at(31), error="boom")
    await outbox.claim_due(store, at(40), limit=1)  # one row 'sending', with a lease
    made = await broadcasts.create(
        store,
        created_by=None,
        audience="everyone",
        html="<b>Hello</b>",
        button=("Open", "https://example.org"),
        due_at=at(50),
        recipients=[1, 2, 4],
        now=at(45),
        versions={"nl": "<b>Hallo</b>"},
    )
    await broadcasts.set_status(store, made, broadcasts.BroadcastStatus.PAUSED, at(46))
    await roles.grant(store, 1, roles.Role.ORGANISER, None, at(60))
    await roles.grant(store, 2, roles.Role.FACILITATOR, 1, at(61))
    await roles.create_invite(store, "tok-used", roles.Role.FACILITATOR, 1, at(62), at(999))
    await roles.create_invite(store, "tok-free", roles.Role.ORGANISER, 1, at(62), at(999))
    await roles.use_invite(store, "tok-used", 5, at(63))
    await logins.add_codes(store, ["CODE-C", "CODE-A", "CODE-B", "CODE-D"], at(70))
    await logins.assign(store, 2, at(71))  # CODE-C: the first imported
    await logins.assign(store, 7, at(72))
    await audit.record(store, actor_id=1, action="broadcast", now=at(80), detail={"id": made.id})
    await audit.record(store, actor_id=None, action="import", now=at(81), recipients=3)
    incoming = [inbox.Incoming(100 + n, n, {"update_id": 100 + n, "text": "hé"}) for n in (1, 2, 3)]
    await inbox.receive(store, incoming, at(90))
    await inbox.mark_handled(store, 101, at(91))
    await inbox.park(store, 102, 3, "it kept failing", at(92))
    await prompts.note(store, [prompts.Shown(1, 555, "r"), prompts.Shown(2, 556, "g")], at(93))
    await consent.set_choice(store, 1, ["What did you notice?", "Why?"], consent.Quote.NAME, at(94))
    await session_times.remember(store, "s1", at(2000))
    await course.save(
        store, 1, section_id="intro", card=3, finished=frozenset({"welcome", "intro"}), now=at(95)
    )
    await erase(store, 7, at(96))  # the newest answer goes: SQLite never hands its id out again


async def rows_of(store: Store, table: str) -> list[dict[str, Any]]:
    """Every row as the store reads it, by column; SQLite's rowid as PostgreSQL's `rowid`."""
    if store.dialect == "sqlite":
        found = await store.fetch_all(f"SELECT rowid AS copied_rowid, * FROM {table}")
    else:
        found = await store.fetch_all(f"SELECT * FROM {table}")
    rows = []
    for row in found:
        values = {key: row[key] for key in row.keys()}  # noqa: SIM118 (a Row, not a dict)
        if "copied_rowid" in values:
            values["rowid"] = values.pop("copied_rowid")
        rows.append(values)
    return sorted(rows, key=repr)


def without_rowid(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(({k: v for k, v in row.items() if k != "rowid"} for row in rows), key=repr)


@pytest.fixture
async def source(tmp_path: Path) -> Store:
    async with Store(tmp_path / "bot.sqlite3") as store:
        await fill(store)
    return Store(tmp_path / "bot.sqlite3")


async def test_the_copy_names_every_table_the_migrations_create(tmp_path: Path) -> None:
    """A table added by a migration and forgotten in store/copy.py fails here."""
    async with Store(tmp_path / "fresh.sqlite3") as store:
        assert sorted(TABLES) == await sqlite_tables(store)


async def test_every_row_reaches_postgresql_as_the_store_reads_it(
    source: Store, postgres_url: str
) -> None:
    async with source, Store(postgres_url) as target:
        report = await copy(source, target, batch=2)  # several batches per table
        assert report.version == len(migrations("sqlite"))
        assert {c.table: c.target for c in report.tables} == {
            table: len(await rows_of(source, table)) for table in TABLES
        }
        assert all(c.written == c.source == c.target for c in report.tables)
        for table in TABLES:
            ours, theirs = await rows_of(source, table), await rows_of(target, table)
            assert ours, f"the test fills {table}"
            if table in ("flow_states", "mooc_logins"):
                assert theirs == ours, table  # rowid too: the order SQLite kept
            else:
                assert theirs == without_rowid(ours), table
        # The same values through the store's functions (times decoded alike).
        for store in (source, target):
            assert (await participants.get(store, 1)) == (await participants.get(source, 1))
            assert await answers.history(store, 1, "reflection", "q1") == await answers.history(
                source, 1, "reflection", "q1"
            )
            assert await registrations.for_session(store, "s1") == (
                await registrations.for_session(source, "s1")
            )
            assert await inbox.parked(store) == await inbox.parked(source)
            assert await session_times.last_start(store, "s1") == at(2000)


async def test_new_rows_on_postgresql_get_fresh_ids(source: Store, postgres_url: str) -> None:
    async with source, Store(postgres_url) as target:
        await copy(source, target)
        highest = {
            table: max(row["id"] for row in await rows_of(target, table))
            for table in ("audit_log", "answers", "registrations", "broadcasts", "outbox")
        }
        await audit.record(target, actor_id=None, action="after", now=at(200))
        await answers.save_step(
            target,
            2,
            "reflection",
            state="{}",
            listening=True,
            changed={"q1": ("Q", "new")},
            now=at(201),
        )
        new, _ = await registrations.register(
            target,
            participant_id=3,
            session_id="s2",
            capacity=None,
            details=Details(name="Cas", email="c@example.org"),
            now=at(202),
        )
        made = await broadcasts.create(
            target,
            created_by=None,
            audience="everyone",
            html="again",
            button=None,
            due_at=at(300),
            recipients=[2],
            now=at(203),
        )
        await logins.add_codes(target, ["CODE-E"], at(204))
        assert new.id > highest["registrations"]
        assert made.id > highest["broadcasts"]
        (entry, *_) = await audit.recent(target, 1)
        assert entry.action == "after"
        assert entry.id > highest["audit_log"]
        (fresh,) = [row["id"] for row in await rows_of(target, "answers") if row["value"] == "new"]
        # Past the answer erased in SQLite too: that id was handed out once already.
        assert fresh > highest["answers"] + 1
        ranked = [
            row["code"]
            for row in sorted(await rows_of(target, "mooc_logins"), key=lambda row: row["rowid"])
        ]
        assert ranked == ["CODE-C", "CODE-A", "CODE-B", "CODE-D", "CODE-E"]
        states = await rows_of(target, "flow_states")
        assert len({row["rowid"] for row in states}) == len(states)


async def test_rows_written_during_the_copy_show_as_counts_that_differ(
    tmp_path: Path, source: Store, postgres_url: str
) -> None:
    """The bot left running: a row it writes to a table already copied is not copied."""
    bot = sqlite3.connect(tmp_path / "bot.sqlite3")

    late = "INSERT INTO audit_log (at, action) VALUES ('2026-11-02T10:00:00+00:00', 'late')"
    written: list[str] = []

    def meanwhile(table: str, _rows: int) -> None:
        if table == "outbox" and not written:  # audit_log is behind us
            with bot:
                bot.execute(late)
            written.append(table)

    try:
        async with source, Store(postgres_url) as target:
            with pytest.raises(
                StoreError,
                match=r"\(audit_log: 3 in SQLite, 2 in PostgreSQL\): was the bot running",
            ):
                await copy(source, target, batch=1, progress=meanwhile)
    finally:
        bot.close()


async def test_a_target_holding_data_is_refused_and_left_alone(
    source: Store, postgres_url: str
) -> None:
    async with source, Store(postgres_url) as target:
        await session_times.remember(target, "elsewhere", at(0))
        with pytest.raises(StoreError, match=r"already holds data \(session_times: 1 rows\)"):
            await copy(source, target)
        assert await participants.count(target) == 0
        assert len(await rows_of(target, "session_times")) == 1


async def test_a_second_copy_is_refused(source: Store, postgres_url: str) -> None:
    async with source, Store(postgres_url) as target:
        await copy(source, target)
        with pytest.raises(StoreError, match=r"already holds data \(participants: 6 rows\)"):
            await copy(source, target)


async def test_schema_versions_that_differ_are_refused(tmp_path: Path, postgres_url: str) -> None:
    older = Store(tmp_path / "old.sqlite3")
    await older.open(migrations("sqlite")[:-1])
    try:
        async with Store(postgres_url) as target:
            newest = len(migrations("postgresql"))
            refusal = f"schema version {newest - 1}, the PostgreSQL one {newest}"
            with pytest.raises(StoreError, match=refusal):
                await copy(older, target)
            assert await participants.count(target) == 0
    finally:
        await older.close()
