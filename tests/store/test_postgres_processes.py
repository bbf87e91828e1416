"""Several processes on one PostgreSQL, each with its own `Store` (its own connections):
an update stored once, seats counted exactly, outbox rows claimed once, a person's
turns one at a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta

from store import inbox, logins, outbox, registrations, roles
from store.db import Store
from store.inbox import Incoming
from store.registrations import Details, RegistrationStatus
from store.roles import Refusal, Role
from tests.store.contract.conftest import T0, people

PROCESSES = 3


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
