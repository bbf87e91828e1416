"""The PostgreSQL driver on a real server: placeholders, a lost connection, an aborted
transaction, migrations started by several processes at once, and the lead."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import asyncpg
import pytest

from bot.services.leadership import Leadership
from store import participants
from store.db import Store
from store.errors import NotAllowed, NotSaved, StoreError
from store.link import Target
from store.postgres_text import placeholders, shown
from store.schema import migrations

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_question_marks_become_numbered_outside_quotes_and_comments() -> None:
    assert placeholders("SELECT ? , '?', \"a?\" -- ?\n, ?") == "SELECT $1 , '?', \"a?\" -- ?\n, $2"
    assert placeholders("SELECT 'it''s ?', ?") == "SELECT 'it''s ?', $1"


def test_a_password_never_shows_in_a_message() -> None:
    assert shown("postgresql://bot:s3cret@db.example.org/mooc") == (
        "postgresql://bot:***@db.example.org/mooc"
    )
    assert shown("postgresql://bot@db.example.org/mooc") == "postgresql://bot@db.example.org/mooc"
    assert shown("postgresql://:s3cret@db/x") == "postgresql://:***@db/x"
    assert shown("postgresql://u:p@ss@db/x") == "postgresql://u:***@db/x"
    assert shown("postgresql://u@db/x?sslmode=require&pass%77ord=s3cret") == (
        "postgresql://u@db/x?sslmode=require&password=***"
    )
    assert "s3cret" not in shown("postgresql://db/x?PassWord=s3cret")


def test_a_target_and_a_store_never_show_the_password() -> None:
    url = "postgresql://bot:s3cret@db.example.org/mooc"
    assert "s3cret" not in repr(Target.of(url))
    assert "s3cret" not in str(Store(url).path)


async def test_a_malformed_url_is_one_store_error() -> None:
    store = Store("postgresql://bot:s3cret@localhost:54x32/mooc")
    with pytest.raises(StoreError) as refused:
        await store.open()
    assert type(refused.value) is StoreError
    assert "s3cret" not in str(refused.value)
    assert "localhost:54x32" in str(refused.value)


async def _seen(store: Store, telegram_id: int) -> None:
    await participants.seen(
        store,
        telegram_id=telegram_id,
        chat_id=telegram_id,
        first_name="Ann",
        last_name=None,
        username=None,
        language="en",
        now=T0,
    )


async def _kill_my_connections(url: str) -> int:
    """What a restarted database does to the bot's sessions: every one but ours ends."""
    conn = await asyncpg.connect(url)
    try:
        killed = await conn.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return len(killed)
    finally:
        await conn.close()


async def test_a_connection_lost_between_transactions_is_opened_again(postgres_url: str) -> None:
    async with Store(postgres_url) as store:
        await _seen(store, 1)
        assert await _kill_my_connections(postgres_url) >= 2  # the writer and the reader
        # The statement in flight on each connection may fail (nothing of it kept) …
        with contextlib.suppress(NotSaved):
            await _seen(store, 9)
        with contextlib.suppress(NotSaved):
            await store.fetch_one("SELECT 1")
        await _seen(store, 2)  # connected again, for writes and reads alike
        assert await participants.get(store, 2) is not None
        assert await participants.get(store, 1) is not None


async def test_a_connection_lost_inside_a_transaction_keeps_nothing(postgres_url: str) -> None:
    async with Store(postgres_url) as store:

        async def interrupted() -> None:
            async with store.transaction():
                await _seen(store, 1)
                await _kill_my_connections(postgres_url)
                await _seen(store, 2)  # not run on a new connection outside the transaction

        with pytest.raises(NotSaved):
            await interrupted()
        await _seen(store, 3)
        assert [await participants.get(store, i) is not None for i in (1, 2, 3)] == [
            False,
            False,
            True,
        ]


async def test_a_failed_statement_caught_inside_a_transaction_is_not_a_silent_commit(
    postgres_url: str,
) -> None:
    async with Store(postgres_url) as store:
        await _seen(store, 1)

        async def caught() -> None:
            async with store.transaction() as tx:
                await _seen(store, 2)
                with contextlib.suppress(NotAllowed):  # a duplicate key: PostgreSQL aborts the rest
                    await tx.execute(
                        "INSERT INTO roles (telegram_id, role, granted_at) VALUES (?, ?, ?)"
                        " , (?, ?, ?)",
                        (1, "organiser", "2026-12-01T09:00:00+00:00") * 2,
                    )
                    raise AssertionError("the duplicate key was not refused")

        with pytest.raises(NotSaved):
            await caught()
        assert await participants.get(store, 2) is None


async def test_processes_starting_together_migrate_once(postgres_url: str) -> None:
    stores = [Store(postgres_url) for _ in range(4)]
    await asyncio.gather(*(store.open() for store in stores))
    try:
        versions = {await store.schema_version() for store in stores}
        assert versions == {len(migrations("postgresql"))}
        row = await stores[0].fetch_one("SELECT COUNT(*) FROM schema_version")
        assert row is not None
        assert row[0] == 1
    finally:
        await asyncio.gather(*(store.close() for store in stores))


async def test_one_process_leads_and_another_takes_over_when_it_stops(postgres_url: str) -> None:
    async with Store(postgres_url) as one, Store(postgres_url) as two:
        led: list[str] = []

        async def lead(name: str) -> None:
            led.append(name)

        first, second = Leadership(one, retry=0.05), Leadership(two, retry=0.05)
        await first.start(lambda: lead("first"), lambda: None)
        await second.start(lambda: lead("second"), lambda: None)
        assert (first.leading, second.leading, led) == (True, False, ["first"])
        await first.stop()
        async with asyncio.timeout(10):
            while not second.leading:
                await asyncio.sleep(0.01)  # the follower asks again every 0.05 s
        assert led == ["first", "second"]
        assert not first.lost.is_set()
        assert not second.lost.is_set()
        await second.stop()


async def test_a_leader_whose_lock_connection_dies_knows_it_lost(postgres_url: str) -> None:
    async with Store(postgres_url) as store:
        leadership = Leadership(store, retry=0.05)

        async def nothing() -> None:
            return None

        await leadership.start(nothing, lambda: None)
        assert leadership.leading
        await _kill_my_connections(postgres_url)
        async with asyncio.timeout(10):
            await leadership.lost.wait()
        await leadership.stop()


async def test_a_write_waiting_on_another_process_gives_up_as_not_saved(postgres_url: str) -> None:
    """As SQLite's busy timeout: not a hang, a NotSaved the caller can tell the person."""
    async with Store(postgres_url) as store:
        await _seen(store, 1)
        other = await asyncpg.connect(postgres_url)
        try:
            async with other.transaction():
                await other.execute("LOCK TABLE participants IN ACCESS EXCLUSIVE MODE")
                with pytest.raises(NotSaved):
                    await _seen(store, 2)
        finally:
            await other.close()
        await _seen(store, 2)  # once the other lets go
        assert await participants.get(store, 2) is not None


async def test_a_notify_outside_a_transaction_is_not_lost_with_another_tasks(
    postgres_url: str,
) -> None:
    async with Store(postgres_url) as store:
        await _seen(store, 1)
        listening = await asyncpg.connect(postgres_url)
        heard = asyncio.Event()
        await listening.add_listener("a_channel", lambda *_: heard.set())
        started, release = asyncio.Event(), asyncio.Event()

        async def rolled_back() -> None:
            with contextlib.suppress(RuntimeError):
                async with store.transaction() as tx:
                    await tx.execute("UPDATE participants SET language = 'nl'")
                    started.set()
                    await release.wait()
                    raise RuntimeError("this transaction rolls back")

        try:
            task = asyncio.create_task(rolled_back())
            await started.wait()
            await store.notify("a_channel")  # another task, outside any transaction
            async with asyncio.timeout(5):
                await heard.wait()  # at once, not at that transaction's end
            release.set()
            await task
        finally:
            release.set()
            await listening.close()


async def test_a_notify_in_a_transaction_goes_at_its_commit(postgres_url: str) -> None:
    async with Store(postgres_url) as store:
        listening = await asyncpg.connect(postgres_url)
        heard = asyncio.Event()
        await listening.add_listener("a_channel", lambda *_: heard.set())
        try:
            async with store.transaction():
                await store.notify("a_channel")
                await asyncio.wait_for(listening.fetchval("SELECT 1"), 5)
                assert not heard.is_set()
            async with asyncio.timeout(5):
                await heard.wait()
        finally:
            await listening.close()


async def test_the_databases_own_date_style_and_timeouts_do_not_matter(postgres_url: str) -> None:
    admin = await asyncpg.connect(postgres_url)
    try:
        name = await admin.fetchval("SELECT current_database()")
        await admin.execute(f"ALTER DATABASE \"{name}\" SET DateStyle = 'SQL, DMY'")
        await admin.execute(f"ALTER DATABASE \"{name}\" SET IntervalStyle = 'sql_standard'")
    finally:
        await admin.close()
    async with Store(postgres_url) as store:
        await _seen(store, 1)
        found = await participants.get(store, 1)
        assert found is not None
        assert found.joined_at == T0
        # A vanished machine's open transaction (and its locks) does not last for ever;
        # the keepalives are asked for on every connection (0 on a Unix socket).
        rows = await store.fetch_all(
            "SELECT name, setting, source FROM pg_settings WHERE name IN"
            " ('idle_in_transaction_session_timeout', 'tcp_keepalives_idle') ORDER BY name"
        )
        idle, keepalive = (tuple(r) for r in rows)
        assert idle == ("idle_in_transaction_session_timeout", "300000", "client")
        assert keepalive[2] == "client"


async def test_a_leader_that_cannot_start_leading_gives_the_lead_up(postgres_url: str) -> None:
    """Holding the lock without the leader's work would leave the cluster without one."""
    async with Store(postgres_url) as one, Store(postgres_url) as two:

        async def broken() -> None:
            raise RuntimeError("the Bot API refused, the database is starting up …")

        async def fine() -> None:
            return None

        failing, standby = Leadership(one, retry=0.05), Leadership(two, retry=0.05)
        await failing.start(broken, lambda: None)
        assert failing.lost.is_set()
        assert not failing.leading
        await standby.start(fine, lambda: None)  # the lock was let go
        assert standby.leading
        await standby.stop()
        await failing.stop()
