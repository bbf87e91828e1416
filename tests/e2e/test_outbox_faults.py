"""The outbox keeps its promises: a kill -9 mid-sending, and a server that fails often."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from bot.base.clock import ManualClock
from bot.base.settings import Settings
from bot.sandbox import BotApiServer, Person
from bot.sandbox.harness import Sandbox, known
from bot.sandbox.limits import Faults, Limits
from bot.services.dispatcher import SENDERS
from store import broadcasts as broadcast_store
from store import outbox
from store.db import Store
from store.outbox import OutboxStatus
from tests.conftest import spawn_bot
from tests.e2e.conftest import Database, on_both_backends

TOKEN = "777:OUTBOX-crash-test"
REMINDERS = 200


async def queue_due_reminders(
    store: Store, people: list[Person], session_id: str, now: datetime | None = None
) -> None:
    """Participants, each registered and owed one reminder that is already due at `now`
    (the bot's clock: the wall clock unless a test moves its own)."""
    now = now or datetime.now(UTC)
    await known(store, people, now)
    for person in people:
        await store.execute(
            "INSERT INTO registrations (participant_id, session_id, status, name, email,"
            " consent_at, created_at, updated_at, queued_at)"
            " VALUES (?, ?, 'registered', ?, 'x@example.org', ?, ?, ?, ?)",
            (person.user.id, session_id, person.user.first_name, *[now.isoformat()] * 4),
        )
        await outbox.enqueue(
            store,
            dedup_key=f"reminder:{session_id}:{person.user.id}:1440",
            participant_id=person.user.id,
            chat_id=person.user.id,
            kind="reminder",
            due_at=now - timedelta(minutes=1),
            now=now,
            payload={"session": session_id, "minutes": 1440},
        )


def delivered(server: BotApiServer) -> Counter[int]:
    """How many reminders each chat received, from the server's own log of calls."""
    return Counter(
        m.chat.id
        for chat in server.world.messages.values()
        for m in chat
        if m.from_bot and "Reminder:" in m.shown_text
    )


@on_both_backends
async def test_kill_9_in_the_middle_of_sending_loses_nothing(
    database: Database, settings: Settings
) -> None:
    db = database("crash.sqlite3")
    async with BotApiServer(TOKEN) as server:
        people = [Person.create(server.world, f"P{i:03d}") for i in range(REMINDERS)]
        for person in people:
            server.world.private_chat(person.user)  # they wrote to the bot before
        async with Store(db) as store:
            await queue_due_reminders(store, people, settings.sessions[0].id)
        env = {"MOOC_BOT_TOKEN": TOKEN, "MOOC_BOT_API_URL": server.url, "MOOC_BOT_DB": str(db)}
        quiet = {"stdout": asyncio.subprocess.DEVNULL, "stderr": asyncio.subprocess.DEVNULL}
        first = await spawn_bot("run", env=env, **quiet)
        await server.world.wait_for(lambda: sum(delivered(server).values()) >= 60, timeout=60)
        first.send_signal(signal.SIGKILL)
        await first.wait()
        sent_before_kill = sum(delivered(server).values())
        async with Store(db) as store:
            in_flight = (await outbox.counts(store)).get(OutboxStatus.SENDING, 0)
        second = await spawn_bot("run", env=env, **quiet)
        try:
            await server.world.wait_for(lambda: len(delivered(server)) == REMINDERS, timeout=90)
        finally:
            second.send_signal(signal.SIGINT)
            await second.wait()
    counts = delivered(server)
    duplicated = sum(n - 1 for n in counts.values())
    print(
        f"\nkilled after {sent_before_kill} sends, {in_flight} row(s) in flight; "
        f"{len(counts)}/{REMINDERS} delivered, {duplicated} duplicate(s)"
    )
    assert len(counts) == REMINDERS  # every reminder reached its participant
    assert sent_before_kill < REMINDERS  # the kill did land mid-sending
    # The documented window: a message Telegram accepted whose row was not yet marked
    # sent. At most the messages in flight at once can be in it.
    assert duplicated <= min(in_flight, SENDERS)
    async with Store(db) as store:
        # (the seated are also owed their follow-ups after the session: due later)
        by_kind = await outbox.counts_by_kind(store)
        assert by_kind["reminder"] == {OutboxStatus.SENT: REMINDERS}


@on_both_backends
async def test_every_reminder_once_despite_429s_and_500s(
    settings: Settings, database: Database, clock: ManualClock
) -> None:
    faults = Faults(throttle_rate=0.2, error_rate=0.05, seed=7)
    unlimited = Limits(global_per_second=None, per_chat_per_second=None, group_per_minute=None)
    async with Sandbox(
        settings,
        database("db.sqlite3"),
        clock=clock,
        faults=faults,
        limits=unlimited,
        rate_limited=False,
    ) as tg:
        people = [tg.person(f"F{i:03d}") for i in range(60)]
        for person in people:
            tg.world.private_chat(person.user)
        await queue_due_reminders(tg.store, people, settings.sessions[0].id, clock.now())
        for _ in range(40):  # each round: time moves past every retry-after and backoff
            clock.advance(timedelta(minutes=10))
            await tg.dispatch()
            if len(delivered(tg.server)) == len(people):
                break
        counts = delivered(tg.server)
        assert len(counts) == len(people)
        assert set(counts.values()) == {1}
        failures = Counter(c.status for c in tg.world.calls if c.method == "sendMessage")
        assert failures[429] > 0
        assert failures[500] > 0


@pytest.mark.parametrize(
    ("stop", "duplicates"),
    [(signal.SIGKILL, 1), (signal.SIGTERM, 0)],  # a graceful stop records the row in hand
    ids=["kill -9", "SIGTERM"],
)
@on_both_backends
async def test_broadcast_resumed_after_a_stop_reaches_everybody(
    database: Database, stop: signal.Signals, duplicates: int
) -> None:
    db = database("broadcast.sqlite3")
    async with BotApiServer(TOKEN) as server:
        people = [Person.create(server.world, f"B{i:03d}") for i in range(150)]
        for person in people:
            server.world.private_chat(person.user)
        async with Store(db) as store:
            now = datetime.now(UTC)
            await known(store, people, now)
            await broadcast_store.create(
                store,
                created_by=None,
                audience="everyone",
                html="<b>News</b> for all",
                button=None,
                due_at=now,
                recipients=[p.user.id for p in people],
                now=now,
            )

        def news() -> Counter[int]:
            return Counter(
                m.chat.id
                for chat in server.world.messages.values()
                for m in chat
                if m.from_bot and m.shown_text == "News for all"
            )

        env = {"MOOC_BOT_TOKEN": TOKEN, "MOOC_BOT_API_URL": server.url, "MOOC_BOT_DB": str(db)}
        quiet = {"stdout": asyncio.subprocess.DEVNULL, "stderr": asyncio.subprocess.DEVNULL}
        first = await spawn_bot("run", env=env, **quiet)
        await server.world.wait_for(lambda: sum(news().values()) >= 40, timeout=60)
        first.send_signal(stop)
        code = await first.wait()
        second = await spawn_bot("run", env=env, **quiet)
        try:
            await server.world.wait_for(lambda: len(news()) == len(people), timeout=90)
        finally:
            second.send_signal(signal.SIGINT)
            await second.wait()
    counts = news()
    assert len(counts) == len(people)
    assert sum(n - 1 for n in counts.values()) <= duplicates  # a kill's window: one at most
    assert code == (0 if stop == signal.SIGTERM else -signal.SIGKILL)
