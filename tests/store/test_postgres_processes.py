"""Several processes on one PostgreSQL, each with its own `Store` (its own connections):
an update stored once, seats counted exactly, outbox rows claimed once, a person's
turns one at a time, and every read-then-write that another process may change in
between (an alert taken, an invite used, a broadcast moved, a person erased or seen)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from typing import TypeVar

from store import broadcasts, inbox, logins, outbox, participants, privacy, registrations, roles
from store.broadcasts import FAR_FUTURE, BroadcastStatus
from store.db import Store
from store.inbox import Incoming
from store.registrations import Details, RegistrationStatus
from store.roles import Refusal, Role
from tests.store.contract.conftest import T0, people

PROCESSES = 3
Result = TypeVar("Result")


@asynccontextmanager
async def processes(url: str, count: int = PROCESSES) -> AsyncIterator[list[Store]]:
    async with AsyncExitStack() as stack:
        yield [await stack.enter_async_context(Store(url)) for _ in range(count)]


async def test_an_update_posted_to_every_process_is_stored_once(postgres_url: str) -> None:
    async with processes(postgres_url) as stores:
        update = Incoming(update_id=42, person=7, payload={"update_id": 42})
        fresh = await asyncio.gather(*(inbox.receive(s, [update], T0) for s in stores))
        assert sorted(map(len, fresh)) == [0] * (PROCESSES - 1) + [1]
        assert await inbox.counts(stores[0]) == {inbox.InboxStatus.PENDING: 1}


async def test_confirmations_on_several_processes_seat_exactly_the_capacity(
    postgres_url: str,
) -> None:
    async with processes(postgres_url) as stores:
        crowd = list(range(1, 19))
        await people(stores[0], *crowd)
        await asyncio.gather(
            *(
                registrations.register(
                    stores[person % PROCESSES],
                    participant_id=person,
                    session_id="s1",
                    capacity=5,
                    details=Details(name=f"P{person}", email=f"p{person}@example.org"),
                    now=T0 + timedelta(seconds=person),
                )
                for person in crowd
            )
        )
        live = await registrations.for_session(stores[0], "s1")
        statuses = [r.status for r in live]
        assert statuses.count(RegistrationStatus.REGISTERED) == 5
        assert statuses.count(RegistrationStatus.WAITLISTED) == 13
        assert [r.position for r in live if r.position is not None] == list(range(1, 14))


async def test_claims_from_several_processes_never_share_a_row(postgres_url: str) -> None:
    async with processes(postgres_url) as stores:
        crowd = list(range(1, 121))
        await people(stores[0], *crowd)
        for person in crowd:
            await outbox.enqueue(
                stores[0],
                dedup_key=f"drip:{person}",
                participant_id=person,
                kind="drip",
                due_at=T0,
                now=T0,
            )
        claims = await asyncio.gather(
            *(outbox.claim_due(s, T0 + timedelta(minutes=1), 25) for s in stores * 3)
        )
        claimed = [item.id for batch in claims for item in batch]
        assert len(claimed) == len(set(claimed)) == 120


async def test_a_persons_turns_on_two_processes_run_one_after_the_other(
    postgres_url: str,
) -> None:
    async with processes(postgres_url, 3) as (one, two, watcher):
        inside = asyncio.Event()
        order: list[str] = []

        async def first() -> None:
            async with one.turn():
                await one.lock("person:7")
                order.append("first in")
                inside.set()
                async with asyncio.timeout(10):  # until the other process waits for the lock
                    while not await _someone_waits(watcher):
                        await asyncio.sleep(0.01)
                order.append("first out")

        async def second() -> None:
            await inside.wait()
            async with two.turn():
                await two.lock("person:7")
                order.append("second in")

        await asyncio.gather(first(), second())
        assert order == ["first in", "first out", "second in"]


async def _someone_waits(store: Store) -> bool:
    row = await store.fetch_one(
        "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
    )
    return row is not None and row[0] > 0


async def test_codes_handed_out_on_several_processes_are_each_given_once(
    postgres_url: str,
) -> None:
    async with processes(postgres_url) as stores:
        crowd = list(range(1, 31))
        await people(stores[0], *crowd)
        await logins.add_codes(stores[0], [f"CODE-{n:02}" for n in range(20)], T0)
        given = await asyncio.gather(*(logins.assign(stores[p % PROCESSES], p, T0) for p in crowd))
        handed = [code for code in given if code is not None]
        assert len(handed) == len(set(handed)) == 20
        for person, code in zip(crowd, given, strict=True):
            assert await logins.code_for(stores[0], person) == code


async def test_an_invite_pressed_on_several_processes_at_once_is_used_once(
    postgres_url: str,
) -> None:
    async with processes(postgres_url) as stores:
        await people(stores[0], 1, 2, 3, 4)
        await roles.grant(stores[0], 1, Role.ORGANISER, None, T0)
        await roles.create_invite(stores[0], "tok", Role.FACILITATOR, 1, T0, T0 + timedelta(days=1))
        results = await asyncio.gather(
            *(roles.use_invite(stores[p - 2], "tok", p, T0) for p in (2, 3, 4))
        )
        assert sorted(results) == sorted([Role.FACILITATOR, Refusal.USED, Refusal.USED])
        granted = [p for p in (2, 3, 4) if Role.FACILITATOR in await roles.roles_of(stores[0], p)]
        assert len(granted) == 1


async def _blocked_or_done(watcher: Store, work: Awaitable[Result]) -> asyncio.Task[Result]:
    """Start `work` on another process's store; return once it waits for a lock held
    here (or, where nothing makes it wait, once it is done)."""
    task = asyncio.ensure_future(work)
    async with asyncio.timeout(10):
        while not task.done() and not await _anyone_waits(watcher):
            await asyncio.sleep(0.01)
    return task


async def _anyone_waits(store: Store) -> bool:
    """Some transaction waits for a lock (advisory, a row's, another transaction's)."""
    row = await store.fetch_one("SELECT COUNT(*) FROM pg_locks WHERE NOT granted")
    return row is not None and row[0] > 0


async def test_an_alert_claimed_by_the_dispatcher_meanwhile_is_not_shown_again(
    postgres_url: str,
) -> None:
    async with processes(postgres_url) as (turn, dispatcher, watcher):
        await people(turn, 7)
        await outbox.enqueue(
            turn, dedup_key="alert:7", participant_id=7, kind="alert", due_at=T0, now=T0
        )
        async with dispatcher.transaction():
            claimed = await outbox.claim_due(dispatcher, T0 + timedelta(minutes=1), 10)
            taking = await _blocked_or_done(
                watcher, outbox.take_pending(turn, 7, "alert", T0 + timedelta(minutes=1))
            )
        taken = await taking
        assert [item.dedup_key for item in claimed] == ["alert:7"]
        assert taken == []  # the dispatcher sends it; shown here too, it would come twice


async def test_an_invite_whose_maker_is_revoked_meanwhile_grants_nothing(
    postgres_url: str,
) -> None:
    async with processes(postgres_url) as (chat, cli, watcher):
        await people(chat, 1, 2)
        await roles.grant(chat, 1, Role.ORGANISER, None, T0)
        await roles.create_invite(chat, "tok", Role.FACILITATOR, 1, T0, T0 + timedelta(days=1))
        async with cli.transaction():
            revocation = await roles.revoke(cli, 1, Role.ORGANISER, T0)
            using = await _blocked_or_done(watcher, roles.use_invite(chat, "tok", 2, T0))
        assert revocation == roles.Revocation(revoked=True, voided=1)
        assert await using is Refusal.VOID
        assert await roles.roles_of(chat, 2) == set()
        invite = await chat.fetch_one("SELECT used_at, voided_at FROM invites")
        assert invite is not None
        assert invite["used_at"] is None
        assert invite["voided_at"]


async def _scheduled(store: Store) -> broadcasts.Broadcast:
    await people(store, 1, 2, 3)
    return await broadcasts.create(
        store,
        created_by=None,
        audience="everyone",
        html="Hello",
        button=None,
        due_at=T0,
        recipients=[1, 2, 3],
        now=T0,
    )


async def _due_times(store: Store) -> list[str]:
    rows = await store.fetch_all("SELECT due_at FROM outbox WHERE status = 'pending'")
    return [row[0] for row in rows]


async def test_a_pause_from_another_process_outlives_the_ticks_move_to_sending(
    postgres_url: str,
) -> None:
    async with processes(postgres_url, 2) as (leader, organiser):
        seen_by_tick = await _scheduled(leader)  # the tick read it scheduled, then…
        assert await broadcasts.set_status(organiser, seen_by_tick, BroadcastStatus.PAUSED, T0)
        moved = await broadcasts.set_status(
            leader, seen_by_tick, BroadcastStatus.SENDING, T0, still=True
        )
        assert moved is False
        found = await broadcasts.get(leader, seen_by_tick.id)
        assert found is not None
        assert found.status is BroadcastStatus.PAUSED
        assert await _due_times(leader) == [FAR_FUTURE] * 3


async def test_a_cancelled_broadcast_is_not_brought_back_by_a_stale_change(
    postgres_url: str,
) -> None:
    async with processes(postgres_url, 2) as (leader, organiser):
        seen_before = await _scheduled(leader)
        assert await broadcasts.set_status(organiser, seen_before, BroadcastStatus.CANCELLED, T0)
        for status in (BroadcastStatus.SENDING, BroadcastStatus.PAUSED, BroadcastStatus.DONE):
            assert not await broadcasts.set_status(leader, seen_before, status, T0)
        found = await broadcasts.get(leader, seen_before.id)
        assert found is not None
        assert found.status is BroadcastStatus.CANCELLED
        assert await broadcasts.figures(leader, found) == broadcasts.Figures(0, 0, 0, 3, 0)


async def test_what_a_persons_turn_writes_while_they_are_erased_goes_too(
    postgres_url: str,
) -> None:
    async with processes(postgres_url) as (theirs, leader, watcher):
        await people(theirs, 7)
        async with theirs.turn():
            await theirs.lock("person:7")
            await outbox.enqueue(
                theirs, dedup_key="drip:7", participant_id=7, kind="drip", due_at=T0, now=T0
            )
            erasing = await _blocked_or_done(watcher, privacy.erase(leader, 7, T0))
        await erasing
        left = await privacy.everything(leader, 7)
        assert {table: rows for table, rows in left.items() if rows} == {}


async def test_writing_again_while_the_dispatcher_marks_them_blocked_reactivates(
    postgres_url: str,
) -> None:
    async with processes(postgres_url) as (turn, dispatcher, watcher):
        await people(turn, 7)
        async with dispatcher.transaction() as tx:
            # The dispatcher has their row (a delivery being recorded) and then learns
            # they blocked the bot; meanwhile they unblock it and write.
            await tx.fetch_one("SELECT 1 FROM participants WHERE telegram_id = 7 FOR UPDATE")
            seeing = await _blocked_or_done(
                watcher,
                participants.seen(
                    turn,
                    telegram_id=7,
                    chat_id=7,
                    first_name="P7",
                    last_name=None,
                    username=None,
                    language="en",
                    now=T0 + timedelta(days=1),
                ),
            )
            await participants.mark_blocked(dispatcher, 7)
        person, created = await seeing
        assert not created
        assert person.status is participants.ParticipantStatus.ACTIVE
        assert person.reactivated  # the welcome back, and their promises restored


async def test_no_code_goes_to_someone_being_forgotten(postgres_url: str) -> None:
    async with processes(postgres_url) as (leader, cli, watcher):
        await people(leader, 7)
        await logins.add_codes(leader, ["CODE-1"], T0)
        async with leader.transaction():
            await privacy.erase(leader, 7, T0)  # the retention purge, not yet committed
            assigning = await _blocked_or_done(watcher, logins.assign(cli, 7, T0))
        assert await assigning is None
        assert await logins.available(leader) == 1
        left = await privacy.everything(leader, 7)
        assert {table: rows for table, rows in left.items() if rows} == {}


async def test_a_busy_persons_lock_is_not_waited_for_when_asked_not_to(postgres_url: str) -> None:
    """A turn asks without waiting (bot/shell/runner.py): the other process's writes go on."""
    async with processes(postgres_url, 2) as (one, two):
        async with one.turn():
            assert await one.try_lock("person:7")
            async with two.turn():
                assert not await two.try_lock("person:7")  # at once, not after a wait
                assert await two.try_lock("person:8")
        async with two.turn():
            assert await two.try_lock("person:7")  # free again once the first committed
