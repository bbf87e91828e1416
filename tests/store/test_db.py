"""The store on a real SQLite file: pragmas, migrations, versions, transactions, backup."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from store import audit, participants
from store.db import Store, StoreState
from store.errors import StoreError
from store.schema import Migration, migrations
from store.sqlite import backup

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


async def test_new_database_is_migrated_to_the_newest_version(store: Store) -> None:
    assert await store.schema_version() == len(migrations())
    row = await store.fetch_one("PRAGMA journal_mode")
    assert row is not None
    assert row[0] == "wal"
    row = await store.fetch_one("PRAGMA foreign_keys")
    assert row is not None
    assert row[0] == 1


async def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    async with Store(tmp_path / "db.sqlite3") as first:
        await audit.record(first, actor_id=1, action="x", now=NOW)
    async with Store(tmp_path / "db.sqlite3") as second:
        assert len(await audit.recent(second)) == 1
        assert await second.schema_version() == len(migrations())


async def test_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {len(migrations()) + 5}")
    conn.close()
    with pytest.raises(StoreError, match="upgrade the bot"):
        await Store(path).open()


async def test_a_file_that_is_no_database_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    path.write_text("shopping list: eggs, flour\n" * 100)
    with pytest.raises(StoreError, match=r"notes\.sqlite3: not a database this bot can use"):
        await Store(path).open()
    assert path.read_text().startswith("shopping list")  # and it is left as it was


async def test_failing_migration_leaves_no_half_applied_schema(tmp_path: Path) -> None:
    broken = [
        *migrations(),
        Migration(
            len(migrations()) + 1, "broken", "CREATE TABLE t (x); INSERT INTO nowhere VALUES (1);"
        ),
    ]
    store = Store(tmp_path / "db.sqlite3")
    with pytest.raises(StoreError, match="broken"):
        await store.open(broken)
    async with Store(tmp_path / "db.sqlite3") as reopened:
        assert await reopened.schema_version() == len(migrations())
        assert await reopened.fetch_one("SELECT name FROM sqlite_master WHERE name = 't'") is None


async def test_transaction_rolls_back_every_write_on_error(store: Store) -> None:
    async def half_written() -> None:
        async with store.transaction() as conn:
            await conn.execute(
                "INSERT INTO audit_log (at, action) VALUES (?, 'half')", (NOW.isoformat(),)
            )
            raise RuntimeError("the process dies here")

    with pytest.raises(RuntimeError):
        await half_written()
    assert await audit.recent(store) == []


async def test_closed_store_says_so(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    await store.open()
    await store.close()
    assert store.state is StoreState.CLOSED
    with pytest.raises(StoreError, match="closed"):
        await store.fetch_one("SELECT 1")


async def test_participant_seen_twice_is_one_row_with_fresh_names(store: Store) -> None:
    details = {"telegram_id": 5, "chat_id": 5, "last_name": None, "username": "ann"}
    first, created = await participants.seen(
        store, first_name="Ann", language="nl", now=NOW, **details
    )
    assert created
    later = NOW + timedelta(days=1)
    second, created_again = await participants.seen(
        store, first_name="Anne", language="en", now=later, **details
    )
    assert not created_again
    assert second.first_name == "Anne"
    assert second.language == "nl"  # a known participant keeps their language
    assert second.joined_at == first.joined_at
    assert second.last_seen_at == later
    assert await participants.count(store) == 1


async def test_blocked_participant_is_kept_and_reactivated_when_they_write(store: Store) -> None:
    details = {
        "telegram_id": 6,
        "chat_id": 6,
        "first_name": "Bo",
        "last_name": None,
        "username": None,
    }
    await participants.seen(store, language="en", now=NOW, **details)
    assert await participants.mark_blocked(store, 6)
    assert await participants.count(store, participants.ParticipantStatus.BLOCKED) == 1
    again, _ = await participants.seen(store, language="en", now=NOW, **details)
    assert again.status is participants.ParticipantStatus.ACTIVE


async def test_emoji_and_right_to_left_names_round_trip(store: Store) -> None:
    name = "שרה 🌱 <b>"
    await participants.seen(
        store,
        telegram_id=7,
        chat_id=7,
        first_name=name,
        last_name="مريم",
        username=None,
        language="en",
        now=NOW,
    )
    stored = await participants.get(store, 7)
    assert stored is not None
    assert (stored.first_name, stored.last_name) == (name, "مريم")


async def test_audit_entries_keep_who_what_when_and_how_many(store: Store) -> None:
    await audit.record(
        store, actor_id=9, action="broadcast.sent", now=NOW, detail={"id": 3}, recipients=120
    )
    [entry] = await audit.recent(store)
    assert (entry.actor_id, entry.action, entry.detail, entry.recipients) == (
        9,
        "broadcast.sent",
        {"id": 3},
        120,
    )
    assert entry.at == NOW


async def test_naive_times_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="naive"):
        await audit.record(store, actor_id=1, action="x", now=datetime(2026, 1, 1))


async def test_online_backup_while_the_store_is_open(store: Store, tmp_path: Path) -> None:
    await audit.record(store, actor_id=1, action="kept", now=NOW)
    backup(store.path, tmp_path / "backup" / "copy.sqlite3")  # type: ignore[arg-type]
    async with Store(tmp_path / "backup" / "copy.sqlite3") as copy:
        assert [e.action for e in await audit.recent(copy)] == ["kept"]
    with pytest.raises(StoreError, match="another file"):
        backup(store.path, store.path)  # type: ignore[arg-type]


async def test_a_turn_is_one_transaction_that_commits_whole_or_not_at_all(tmp_path: Path) -> None:
    async with Store(tmp_path / "turn.sqlite3") as store:
        await store.execute("CREATE TABLE t (v TEXT)")
        with contextlib.suppress(RuntimeError):
            async with store.turn():
                await store.execute("INSERT INTO t VALUES ('a')")
                async with store.transaction() as conn:  # a savepoint inside the turn
                    await conn.execute("INSERT INTO t VALUES ('b')")
                raise RuntimeError("the process dies here")
        assert await store.fetch_all("SELECT v FROM t") == []
        async with store.turn():
            await store.execute("INSERT INTO t VALUES ('a')")
            with contextlib.suppress(ValueError):
                async with store.transaction() as conn:  # a failure the handler catches
                    await conn.execute("INSERT INTO t VALUES ('b')")
                    raise ValueError("undone alone")
            await store.execute("INSERT INTO t VALUES ('c')")
        assert [r["v"] for r in await store.fetch_all("SELECT v FROM t ORDER BY v")] == ["a", "c"]


async def test_another_task_waits_for_the_turn_and_a_pause_lets_it_write(tmp_path: Path) -> None:
    async with Store(tmp_path / "turn.sqlite3") as store:
        await store.execute("CREATE TABLE t (v TEXT)")
        order: list[str] = []

        async def other() -> None:
            await store.execute("INSERT INTO t VALUES ('other')")
            order.append("other")

        async with store.turn():
            await store.execute("INSERT INTO t VALUES ('turn')")
            task = asyncio.create_task(other())  # its own task: it waits for the lock
            await asyncio.sleep(0)
            async with store.paused():  # committed so far; the other writes meanwhile
                await task
            order.append("turn")
            await store.execute("INSERT INTO t VALUES ('after')")
        assert order == ["other", "turn"]
        rows = [r["v"] for r in await store.fetch_all("SELECT v FROM t ORDER BY rowid")]
        assert rows == ["turn", "other", "after"]


def test_backing_up_a_file_that_is_no_database_is_one_clear_error(tmp_path: Path) -> None:
    notes = tmp_path / "notes.sqlite3"
    notes.write_text("shopping list: eggs, flour\n" * 100)
    with pytest.raises(StoreError, match=r"notes\.sqlite3: cannot back up"):
        backup(notes, tmp_path / "copy.sqlite3")
