"""People first: replies go ahead of a running broadcast, and faults cost no apology.

Short versions of runs 1 and 4 of bench/people_first.py (`make bench` measures
the times): the real bot polls the local Bot API server with Telegram's 30
messages a second enforced. Nothing here is timed; the first test counts the
broadcast copies delivered between each message and its answer instead.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bench.people_first import (
    ANSWERING,
    SHORT_JOURNEY,
    Watch,
    apologised,
    at_open_answer,
    duplicates,
    queue_broadcast,
    seed,
)
from bot.base.settings import Settings
from bot.sandbox import Person
from bot.sandbox.harness import Sandbox
from bot.sandbox.limits import Faults, Limits

TIMEOUT = 60.0  # per answer: generous, a stuck reply fails the test, a slow one does not
RECIPIENTS = 1000  # at 25 a second: 40 s of broadcast, far more than the people need
ANSWERING_PEOPLE = 10
# Broadcast copies between a send and its answer: 1-2 are seen (those in flight); a
# reply behind one claimed batch (50) or the whole broadcast would exceed it.
MOST_BETWEEN = 30
JOURNEY_PEOPLE = 25


async def walk(
    person: Person, steps: list[tuple[str, str, str]], watch: Watch, between: list[int]
) -> None:
    """Each step as soon as the last one's answer is there; the copies delivered meanwhile."""
    for do, what, wanted in steps:
        before = watch.delivered
        if do == "send":
            person.send(what)
        else:
            person.press(what)
        await person.expect(wanted, timeout=TIMEOUT)
        between.append(watch.delivered - before)


async def test_replies_are_not_queued_behind_a_running_broadcast(
    settings: Settings, tmp_path: Path
) -> None:
    async with Sandbox(
        settings, tmp_path / "replies.sqlite3", limits=Limits(global_per_second=30)
    ) as tg:
        watch = Watch(tg.world)
        people = [tg.person(f"A{i}") for i in range(ANSWERING_PEOPLE)]
        others = [tg.person(f"R{i:04d}") for i in range(RECIPIENTS - ANSWERING_PEOPLE)]
        for person in others:
            tg.world.private_chat(person.user)
        await asyncio.gather(*(at_open_answer(p) for p in people))
        await seed(tg.store, others)
        await tg.settle()
        await queue_broadcast(tg)
        await tg.world.wait_for(lambda: watch.delivered >= 30, timeout=TIMEOUT)

        between: list[int] = []
        await asyncio.gather(*(walk(p, ANSWERING, watch, between) for p in people))

        assert len(between) == ANSWERING_PEOPLE * len(ANSWERING)  # everyone got every answer
        assert max(between) <= MOST_BETWEEN, sorted(between)[-5:]
        # The answers came while the broadcast was still far from done.
        assert watch.delivered < RECIPIENTS // 2
        for person in people:
            assert apologised(person) == 0, person.transcript()


async def test_a_journey_under_429s_and_500s_apologises_never_and_everyone_finishes(
    settings: Settings, tmp_path: Path
) -> None:
    faults = Faults(throttle_rate=0.2, error_rate=0.05, seed=16)
    async with Sandbox(
        settings,
        tmp_path / "faults.sqlite3",
        limits=Limits(global_per_second=30),
        faults=faults,
    ) as tg:
        watch = Watch(tg.world)
        people = [tg.person(f"J{i}") for i in range(JOURNEY_PEOPLE)]
        await asyncio.gather(*(walk(p, SHORT_JOURNEY, watch, []) for p in people))
        await tg.settle()

        # The faults hit the replies themselves.
        refused = {c.status for c in tg.world.calls if c.method == "sendMessage"}
        assert {429, 500} <= refused
        for person in people:
            assert apologised(person) == 0, person.transcript()
            assert duplicates(person) == 0, person.transcript()
            assert "2/5" in person.bot_messages()[-1].shown_text, person.transcript()
