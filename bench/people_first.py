"""People first (issue 16): replies ahead of bulk sends, and sends that survive faults.

The real bot polls the local Bot API server in this process (`bot.sandbox.harness.Sandbox`,
the bot's own code path), with Telegram's 30 messages a second enforced by the server.
Four runs, each once:

1. Replies during a broadcast: a broadcast to 3,000 (queued as an organiser's is,
   through `Broadcasts.create`) is under way while 50 people, each at an open
   reflection answer, type and tap five times at a person's pace (pauses of 3 s on
   average), each waiting for the bot's answer before the next. Reported: median and
   p99 time from a message or tap to the answer it asked for (target p99 < 2 s), and
   the most broadcast copies delivered between a send and its answer.
2. A burst: 300 people send /start at the same moment; median and p99 time to the
   welcome (one message). Before the one pacer: 30 s median, 39 s p99.
3. A broadcast to 1,500 at 100 a second (the server's limit and the bot's rate),
   1 % of sends answered 500: when the last copy lands, against 1,500 / 100 = 15 s
   (target within 10 %, 16.5 s).
4. 200 people at once through a short journey (/start, /reflect, Yes, an answer,
   Done) while the server answers 20 % of sends, edits and callback answers 429 and
   5 % of calls 500: apologies ("something went wrong", target 0) and who finished
   (stalled: no answer within 120 s; the slowest answer is shown too). With everyone
   at once the times are queueing: about 7 messages each through 30 a second.

Times are time.perf_counter from the person's action to the bot's message appearing
in the sandbox's world.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.base.settings import Settings, load_settings
from bot.sandbox import Person
from bot.sandbox.harness import Sandbox, known
from bot.sandbox.limits import Faults, Limits
from bot.sandbox.records import SimMessage
from bot.sandbox.world import World
from bot.shell.logs import setup_logging
from store.db import Store

ROOT = Path(__file__).resolve().parent.parent
BROADCAST_TEXT = "📣 People-first bench: the session's programme is online."
WELCOME = "What would you like to do?"
APOLOGIES = ("something went wrong", "could not save", "can't save")
STALLED = 120.0  # seconds without the answer asked for: that person is stuck

# (do, what, then wait for) from an open answer to question 1: typed words, a tap, again.
ANSWERING: list[tuple[str, str, str]] = [
    ("send", "We learn on the job when someone asks why", "Noted ✓"),
    ("send", "and when a mistake is talked about, not hidden 🌱", "Noted ✓"),
    ("press", "Done ✓", "2/5"),
    ("press", "Partly", "Why (or why not)?"),
    ("send", "Because time to reflect is rarely planned", "Noted ✓"),
]
# The short journey of run 4: a first visit to the first answer given.
SHORT_JOURNEY: list[tuple[str, str, str]] = [
    ("send", "/start", WELCOME),
    ("send", "/reflect", "1/5"),
    ("press", "Yes", "What do you recognise"),
    ("send", "Questions are welcome in our team", "Noted ✓"),
    ("press", "Done ✓", "2/5"),
]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[int(fraction * (len(ordered) - 1))] if ordered else 0.0


def apologised(person: Person) -> int:
    """Bot messages in this person's chat that apologise for a failure."""
    return sum(any(a in m.shown_text.lower() for a in APOLOGIES) for m in person.bot_messages())


def duplicates(person: Person) -> int:
    """Bot messages that repeat an earlier one word for word (each step's answer differs)."""
    texts = [m.shown_text for m in person.bot_messages()]
    return len(texts) - len(set(texts))


def shipped_settings() -> Settings:
    return load_settings(ROOT / "settings.toml")


def with_rate(settings: Settings, rate: float) -> Settings:
    broadcast = settings.broadcast.model_copy(update={"rate_per_second": rate})
    return settings.model_copy(update={"broadcast": broadcast})


@dataclass
class Watch:
    """What lands in the world, as it lands: broadcast copies and each chat's messages."""

    world: World
    broadcast_at: list[float] = field(default_factory=list)
    copies: dict[int, int] = field(default_factory=dict)
    queues: dict[int, asyncio.Queue[SimMessage]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.world.listeners.append(self._listen)

    def _listen(self, event: str, message: SimMessage) -> None:
        if event == "new" and message.text == BROADCAST_TEXT:
            self.broadcast_at.append(time.perf_counter())
            self.copies[message.chat.id] = self.copies.get(message.chat.id, 0) + 1
            return
        if event in ("new", "edit"):
            queue = self.queues.get(message.chat.id)
            if queue is not None:
                queue.put_nowait(message)

    def follow(self, person: Person) -> asyncio.Queue[SimMessage]:
        return self.queues.setdefault(person.chat.id, asyncio.Queue())

    @property
    def delivered(self) -> int:
        return len(self.broadcast_at)


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    between: list[int] = field(default_factory=list)  # broadcast copies between send and answer
    finished: int = 0
    stalled_at: list[str] = field(default_factory=list)
    stalled: list[Person] = field(default_factory=list)


async def walk(
    person: Person,
    steps: list[tuple[str, str, str]],
    watch: Watch,
    tally: Tally,
    think: float = 0.0,
) -> None:
    """One person: each step (after a pause, exponential with mean `think`), then
    waiting until the bot's message asked for appears."""
    inbox = watch.follow(person)
    pause = random.Random(person.user.id)
    for do, what, wanted in steps:
        if think:
            await asyncio.sleep(pause.expovariate(1 / think))
        while not inbox.empty():  # what came before this step is not its answer
            inbox.get_nowait()
        copies_before = watch.delivered
        began = time.perf_counter()
        if do == "send":
            person.send(what)
        else:
            person.press(what)
        try:
            async with asyncio.timeout(STALLED):
                while wanted not in (await inbox.get()).shown_text:
                    pass
        except TimeoutError:
            tally.stalled_at.append(f"{person.user.first_name}: {what}")
            tally.stalled.append(person)
            return
        tally.latencies.append(time.perf_counter() - began)
        tally.between.append(watch.delivered - copies_before)
    tally.finished += 1


async def seed(store: Store, people: list[Person]) -> None:
    """Participants who wrote to the bot once (as those of bench/broadcast.py)."""
    await known(store, people, datetime.now(UTC))


async def queue_broadcast(tg: Sandbox) -> None:
    """As an organiser's confirmed broadcast: rows for everyone, the dispatcher woken."""
    assert tg.app is not None
    await tg.app.bot_data.broadcasts.create(
        created_by=None,
        audience="everyone",
        html=BROADCAST_TEXT,
        button=None,
        due_at=datetime.now(UTC),
    )


async def at_open_answer(person: Person) -> None:
    person.send("/start")
    await person.expect(WELCOME, timeout=STALLED)
    person.send("/reflect")
    person.press("Yes", await person.expect("1/5", timeout=STALLED))
    await person.expect("What do you recognise", timeout=STALLED)


async def replies_during_broadcast(
    settings: Settings,
    *,
    people: int = 50,
    recipients: int = 3000,
    think: float = 3.0,
    head_start: int = 30,
) -> dict[str, float]:
    """Run 1: people answering while a broadcast to `recipients` is under way."""
    with tempfile.TemporaryDirectory() as folder:
        async with Sandbox(
            settings, Path(folder) / "replies.sqlite3", limits=Limits(global_per_second=30)
        ) as tg:
            watch = Watch(tg.world)
            answering = [tg.person(f"A{i}") for i in range(people)]
            others = [tg.person(f"R{i:05d}") for i in range(recipients - people)]
            for person in others:
                tg.world.private_chat(person.user)
            await asyncio.gather(*(at_open_answer(p) for p in answering))
            await seed(tg.store, others)
            await tg.settle()
            await queue_broadcast(tg)
            await tg.world.wait_for(lambda: watch.delivered >= head_start, timeout=60)
            tally = Tally()
            began = time.perf_counter()
            delivered_before = watch.delivered
            await asyncio.gather(*(walk(p, ANSWERING, watch, tally, think) for p in answering))
            seconds = time.perf_counter() - began
            delivered = watch.delivered
            during = delivered - delivered_before
    return {
        "median_s": statistics.median(tally.latencies) if tally.latencies else 0.0,
        "p99_s": percentile(tally.latencies, 0.99),
        "max_s": max(tally.latencies, default=0.0),
        "answers": float(len(tally.latencies)),
        "most_between": float(max(tally.between, default=0)),
        "finished": float(tally.finished),
        "stalled": float(len(tally.stalled_at)),
        "seconds": seconds,
        "broadcast_rate": during / seconds,
        "delivered_at_end": float(delivered),
        "recipients": float(recipients),
    }


async def start_burst(settings: Settings, people: int = 300) -> dict[str, float]:
    """Run 2: `people` send /start at the same moment; time to each one's welcome."""
    with tempfile.TemporaryDirectory() as folder:
        async with Sandbox(
            settings, Path(folder) / "burst.sqlite3", limits=Limits(global_per_second=30)
        ) as tg:
            sent_at: dict[int, float] = {}
            welcomed: dict[int, float] = {}

            def listen(event: str, message: SimMessage) -> None:
                if event == "new" and message.chat.id in sent_at and WELCOME in message.shown_text:
                    welcomed.setdefault(message.chat.id, time.perf_counter())

            tg.world.listeners.append(listen)
            crowd = [tg.person(f"S{i}") for i in range(people)]
            for person in crowd:
                tg.world.private_chat(person.user)
            for person in crowd:
                sent_at[person.chat.id] = time.perf_counter()
                person.send("/start")
            await tg.world.wait_for(lambda: len(welcomed) == people, timeout=300)
            welcomes = sum(WELCOME in m.shown_text for p in crowd for m in p.bot_messages())
    times = [welcomed[c] - sent_at[c] for c in sent_at]
    return {
        "median_s": statistics.median(times),
        "p99_s": percentile(times, 0.99),
        "last_s": max(times),
        "welcomes": float(welcomes),
    }


async def broadcast_with_errors(
    settings: Settings, *, recipients: int = 1500, rate: int = 100, error_rate: float = 0.01
) -> dict[str, float]:
    """Run 3: a broadcast at `rate` a second, `error_rate` of the calls answered 500."""
    limits = Limits(global_per_second=rate, per_chat_per_second=1, group_per_minute=None)
    faults = Faults(error_rate=error_rate, seed=16)
    with tempfile.TemporaryDirectory() as folder:
        async with Sandbox(
            with_rate(settings, rate),
            Path(folder) / "fast.sqlite3",
            limits=limits,
            faults=faults,
        ) as tg:
            watch = Watch(tg.world)
            people = [tg.person(f"B{i:05d}") for i in range(recipients)]
            for person in people:
                tg.world.private_chat(person.user)
            await seed(tg.store, people)
            calls_before = len(tg.world.calls)
            queued = time.perf_counter()
            await queue_broadcast(tg)
            await tg.world.wait_for(lambda: len(watch.copies) >= recipients, timeout=120)
            last = watch.broadcast_at[-1]
            sends = [c for c in tg.world.calls[calls_before:] if c.method == "sendMessage"]
    return {
        "since_queued_s": last - queued,
        "since_first_s": last - watch.broadcast_at[0],
        "ideal_s": recipients / rate,
        "refused": float(sum(c.status >= 500 for c in sends)),
        "throttled": float(sum(c.status == 429 for c in sends)),
        "duplicates": float(sum(n - 1 for n in watch.copies.values())),
        "lost": float(recipients - len(watch.copies)),
    }


async def journey_under_faults(
    settings: Settings,
    *,
    people: int = 200,
    throttle_rate: float = 0.2,
    error_rate: float = 0.05,
    think: float = 0.0,
) -> dict[str, Any]:
    """Run 4: `people` at once through SHORT_JOURNEY while the server throttles and fails."""
    faults = Faults(throttle_rate=throttle_rate, error_rate=error_rate, seed=16)
    with tempfile.TemporaryDirectory() as folder:
        async with Sandbox(
            settings,
            Path(folder) / "faults.sqlite3",
            limits=Limits(global_per_second=30),
            faults=faults,
        ) as tg:
            watch = Watch(tg.world)
            crowd = [tg.person(f"J{i}") for i in range(people)]
            tally = Tally()
            began = time.perf_counter()
            await asyncio.gather(*(walk(p, SHORT_JOURNEY, watch, tally, think) for p in crowd))
            seconds = time.perf_counter() - began
            await tg.settle()
            apologies = sum(apologised(p) for p in crowd)
            doubled = sum(duplicates(p) for p in crowd)
            calls = tg.world.calls
            faulted = sum(c.status in (429, 500) for c in calls if c.method != "getUpdates")
            stuck = [await what_became_of(tg, p) for p in tally.stalled]
    return {
        "apologies": float(apologies),
        "duplicates": float(doubled),
        "finished": float(tally.finished),
        "people": float(people),
        "stalled": float(len(tally.stalled_at)),
        "median_s": statistics.median(tally.latencies) if tally.latencies else 0.0,
        "p99_s": percentile(tally.latencies, 0.99),
        "max_s": max(tally.latencies, default=0.0),
        "seconds": seconds,
        "faulted_calls": float(faulted),
        "stalled_at": [
            f"{at} ({detail})" for at, detail in zip(tally.stalled_at, stuck, strict=True)
        ],
    }


async def what_became_of(tg: Sandbox, person: Person) -> str:
    """A stalled person's trail: the calls to their chat, their outbox and inbox rows."""
    calls = [f"{c.method}:{c.status}" for c in tg.world.calls if c.chat_id == person.chat.id]
    rows = await tg.store.fetch_all(
        "SELECT kind, status, attempts, last_error, payload FROM outbox WHERE participant_id = ?",
        (person.user.id,),
    )
    outbox = [f"{r['kind']}:{r['status']}:{r['attempts']}:{r['last_error']}" for r in rows]
    rows = await tg.store.fetch_all(
        "SELECT status, attempts, last_error FROM inbox WHERE person = ?", (person.user.id,)
    )
    inbox = [f"{r['status']}:{r['attempts']}:{r['last_error']}" for r in rows]
    return f"calls {calls}; outbox {outbox}; inbox {inbox}"


def timed(run: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], float]:
    began = time.perf_counter()
    result = run()
    return result, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--answering", type=int, default=50, help="people in run 1")
    parser.add_argument("--recipients", type=int, default=3000, help="broadcast of run 1")
    parser.add_argument("--burst", type=int, default=300, help="people in run 2")
    parser.add_argument("--fast", type=int, default=1500, help="broadcast of run 3")
    parser.add_argument("--journeys", type=int, default=200, help="people in run 4")
    args, _ = parser.parse_known_args()
    setup_logging("WARNING")
    settings = shipped_settings()

    r, took = timed(
        lambda: asyncio.run(
            replies_during_broadcast(settings, people=args.answering, recipients=args.recipients)
        )
    )
    print(
        f"people_first replies during a {r['recipients']:.0f}-recipient broadcast at 30/s:"
        f" {args.answering} people, {r['answers']:.0f} answers: median {r['median_s']:.2f} s,"
        f" p99 {r['p99_s']:.2f} s (target < 2 s), max {r['max_s']:.2f} s;"
        f" at most {r['most_between']:.0f} broadcast copies between a send and its answer;"
        f" broadcast meanwhile {r['broadcast_rate']:.1f}/s, {r['delivered_at_end']:.0f}"
        f" delivered by the end; finished {r['finished']:.0f}, stalled {r['stalled']:.0f}"
        f" [run {took:.0f} s]",
        flush=True,
    )
    r, took = timed(lambda: asyncio.run(start_burst(settings, args.burst)))
    print(
        f"people_first /start burst: {args.burst} at once at 30/s: welcome median"
        f" {r['median_s']:.1f} s, p99 {r['p99_s']:.1f} s, last {r['last_s']:.1f} s"
        f" (ideal last {args.burst / 30:.1f} s; before: 30 s median, 39 s p99);"
        f" welcomes {r['welcomes']:.0f} [run {took:.0f} s]",
        flush=True,
    )
    r, took = timed(lambda: asyncio.run(broadcast_with_errors(settings, recipients=args.fast)))
    print(
        f"people_first broadcast {args.fast} at 100/s with 1 % 500s: last delivery"
        f" {r['since_queued_s']:.1f} s after queueing ({r['since_first_s']:.1f} s after the"
        f" first), ideal {r['ideal_s']:.1f} s, ratio {r['since_queued_s'] / r['ideal_s']:.2f}"
        f" (target <= 1.10); {r['refused']:.0f} sends answered 500, {r['throttled']:.0f} 429s,"
        f" lost {r['lost']:.0f}, duplicates {r['duplicates']:.0f} [run {took:.0f} s]",
        flush=True,
    )
    r, took = timed(lambda: asyncio.run(journey_under_faults(settings, people=args.journeys)))
    print(
        f"people_first journey under 20 % 429s and 5 % 500s: {args.journeys} people,"
        f" 'something went wrong' {r['apologies']:.0f} (target 0), duplicates"
        f" {r['duplicates']:.0f}, finished"
        f" {r['finished']:.0f}/{r['people']:.0f}, stalled {r['stalled']:.0f},"
        f" answers median {r['median_s']:.1f} s, p99 {r['p99_s']:.1f} s, max {r['max_s']:.1f} s,"
        f" {r['faulted_calls']:.0f} calls faulted, all done in {r['seconds']:.0f} s"
        f" [run {took:.0f} s]",
        flush=True,
    )
    for stalled in r["stalled_at"][:10]:
        print(f"people_first stalled: {stalled}")


if __name__ == "__main__":
    main()
