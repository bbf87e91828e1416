"""The whole participant journey under load, against a bare python-telegram-bot echo bot.

N simulated participants (default 150; 1,000 before issue 20) at once, each as a
person would: /start, one part of the course (pressing Next), the five reflections
(choices, words, Done, Confirm) and the registration: 28 updates each, every one
waiting for the bot's answer before the next. Reported: updates handled per second, median and
99th-percentile time from a participant's message or tap to the bot's first
answer, errors (answers with an error status, apologies, participants who
stalled), answers lost (typed but not in the database), and peak RSS (this
process: the server, the simulated people and the bot).

The same people then drive a bare PTB echo bot (concurrent updates and a 64-
connection pool, so the library at its best) with the same number of messages, on
the same server, in the same run: our rate as a fraction of the echo bot's is the
figure that carries across machines.

First run: the server's limits off, and the bot's own 30/s safety net and its
dispatcher's pace (the broadcast rate, which replies share) too, so the bot is what
is measured (target: p99 under 250 ms, rate at least 0.5 of the echo
bot's, 0 errors, 0 lost, under 200 MB). Then `--paced N` people (60) pausing
`--think` seconds (2) on average, for the latency. Last (`--limited N`, default 30
people): Telegram's limits enforced by the server and the bot's limiter on, as
in production; the server's 30 messages a second is then the bottleneck.

Each run takes a fresh database on each backend asked for (`--database sqlite|
postgresql|both`, bench/backends.py), SQLite first: the bot in this process reaches
PostgreSQL over its Unix socket, the server's processes sharing the two cores.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bench.backends import BACKENDS, LABELS, Databases, chosen
from bench.table import Table
from bot.base.settings import Settings, load_settings
from bot.sandbox import BotApiServer, Person
from bot.sandbox.harness import SANDBOX_TOKEN, Sandbox
from bot.sandbox.limits import Limits
from bot.sandbox.records import SimMessage
from bot.shell.logs import setup_logging
from store import answers

ROOT = Path(__file__).resolve().parent.parent
UNLIMITED = Limits(global_per_second=None, per_chat_per_second=None, group_per_minute=None)
STALLED = 120  # seconds without the expected answer: a participant stuck
# Where each question's typed words are kept (questions 1-3 start with a choice).
STEPS_TYPED = (("q1", "q1why"), ("q2", "q2why"), ("q3", "q3why"), ("q4", "q4"), ("q5", "q5"))
APOLOGIES = ("Sorry, something went wrong", "could not save that")


def words(index: int, question: str) -> str:
    return f"P{index} on {question}: we learn on the job when someone asks why 🌱"


def journey(index: int) -> list[tuple[str, str, str]]:
    """(do, what, then wait for): do is 'send' or 'press'; 28 steps."""
    w = words
    return [
        ("send", "/start", "What would you like to do?"),
        ("send", "/course", "Part 1 of 4"),
        ("press", "Next ▶", "spoil it"),
        ("press", "Next ▶", "names the problem"),
        ("press", "Next ▶", "do you recognise the problem?"),
        ("send", "/reflect", "1/5"),
        ("press", "Yes", "What do you recognise"),
        ("send", w(index, "q1"), "Noted ✓"),
        ("press", "Done ✓", "2/5"),
        ("press", "Partly", "Why (or why not)?"),
        ("send", w(index, "q2"), "Noted ✓"),
        ("press", "Done ✓", "3/5"),
        ("press", "🤔 Mixed", "What makes you think so?"),
        ("send", w(index, "q3"), "Noted ✓"),
        ("press", "Done ✓", "4/5"),
        ("send", w(index, "q4"), "Noted ✓"),
        ("press", "Done ✓", "5/5"),
        ("send", w(index, "q5"), "Noted ✓"),
        ("press", "Done ✓", "Your answers"),
        ("press", "✅ Confirm", "Thank you!"),
        ("send", "/register", "What name should we use"),
        ("press", "Done ✓", "Your e-mail address?"),
        ("send", f"p{index}@example.org", "Which organisation"),
        ("send", "Learning & Co", "And your role there?"),
        ("send", "Team lead", "How do you know the subject"),
        ("press", "From daily practice", "May we store your answers"),
        ("press", "Yes, I agree", "Your registration"),
        ("press", "✅ Confirm", "You're registered"),
    ]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    updates: int = 0
    stalled: int = 0
    apologies: int = 0
    stalled_at: list[str] = field(default_factory=list)


class Inboxes:
    """Each chat's bot messages (new or edited) as they happen, for its participant."""

    def __init__(self) -> None:
        self.queues: dict[int, asyncio.Queue[SimMessage]] = {}

    def listen(self, event: str, message: SimMessage) -> None:
        queue = self.queues.get(message.chat.id)
        if queue is not None:
            queue.put_nowait(message)


async def walk(
    person: Person,
    steps: list[tuple[str, str, str]],
    inbox: asyncio.Queue[SimMessage],
    tally: Tally,
    think: float = 0.0,
) -> None:
    """One participant: each step after a pause (exponential, mean `think` seconds,
    as a person reads and types), then waiting for the bot's answer."""
    pause = random.Random(person.user.id)
    for do, what, wanted in steps:
        if think:
            await asyncio.sleep(pause.expovariate(1 / think))
        while not inbox.empty():  # what arrived after the last wait is not an answer to this
            inbox.get_nowait()
        began = time.perf_counter()
        if do == "send":
            person.send(what)
        else:
            person.press(what)
        tally.updates += 1
        first = True
        try:
            async with asyncio.timeout(STALLED):
                while True:
                    message = await inbox.get()
                    if first:
                        tally.latencies.append(time.perf_counter() - began)
                        first = False
                    if any(text in message.shown_text for text in APOLOGIES):
                        tally.apologies += 1
                    if wanted in message.shown_text:
                        break
        except TimeoutError:
            tally.stalled += 1
            tally.stalled_at.append(what)
            return


def figures(tally: Tally, seconds: float) -> dict[str, float]:
    latencies = sorted(tally.latencies)
    return {
        "updates_per_second": tally.updates / seconds,
        "median_ms": statistics.median(latencies) * 1000 if latencies else 0.0,
        "p99_ms": latencies[int(0.99 * (len(latencies) - 1))] * 1000 if latencies else 0.0,
    }


async def ours(
    people: int,
    settings: Settings,
    limits: Limits,
    limited: bool,
    think: float = 0.0,
    dbs: Databases | None = None,
    database: str = "sqlite",
) -> dict[str, float]:
    """Our bot (in this process) through `people` journeys at once, on a fresh database."""
    dbs = dbs or Databases([database])
    async with (
        dbs.fresh(database) as db,
        Sandbox(
            settings,
            db,
            limits=limits,
            rate_limited=limited,
            poll_timeout=10,
        ) as tg,
    ):
        inboxes = Inboxes()
        tg.world.listeners.append(inboxes.listen)
        persons = [tg.person(f"P{i}") for i in range(people)]
        for person in persons:
            inboxes.queues[person.chat.id] = asyncio.Queue()
        tally = Tally()
        began = time.perf_counter()
        await asyncio.gather(
            *(
                walk(p, journey(i), inboxes.queues[p.chat.id], tally, think)
                for i, p in enumerate(persons)
            )
        )
        seconds = time.perf_counter() - began
        errors = sum(1 for c in tg.world.calls if c.status >= 400 and c.status != 429)
        lost = 0
        for i, person in enumerate(persons):
            kept = await answers.latest(tg.store, person.user.id, "reflection")
            for question, step in STEPS_TYPED:
                answer = kept.get(step)
                lost += answer is None or answer.value != words(i, question)
    return figures(tally, seconds) | {
        "errors": float(errors + tally.apologies + tally.stalled),
        "lost": float(lost),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


async def echo(people: int, per_person: int) -> dict[str, float]:
    """A bare PTB echo bot on the same server, with the same number of messages."""

    async def repeat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        assert update.message.text is not None
        await update.message.reply_text(update.message.text)

    async with BotApiServer(SANDBOX_TOKEN, limits=UNLIMITED) as server:
        app = (
            ApplicationBuilder()
            .token(SANDBOX_TOKEN)
            .base_url(f"{server.url}/bot")
            .concurrent_updates(True)
            .connection_pool_size(64)
            .pool_timeout(60.0)  # wait for a free connection, as our bot's requests do
            .build()
        )
        app.add_handler(MessageHandler(filters.TEXT, repeat))
        inboxes = Inboxes()
        server.world.listeners.append(inboxes.listen)
        persons = [Person.create(server.world, f"E{i}") for i in range(people)]
        for person in persons:
            inboxes.queues[person.chat.id] = asyncio.Queue()
        tally = Tally()
        async with app:
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, timeout=10)
            began = time.perf_counter()
            steps: Callable[[int], list[tuple[str, str, str]]] = lambda i: [  # noqa: E731
                ("send", f"E{i} says {n}", f"E{i} says {n}") for n in range(per_person)
            ]
            await asyncio.gather(
                *(
                    walk(p, steps(i), inboxes.queues[p.chat.id], tally)
                    for i, p in enumerate(persons)
                )
            )
            seconds = time.perf_counter() - began
            await app.updater.stop()
            await app.stop()
    return figures(tally, seconds)


@dataclass
class Plan:
    participants: int = 150
    paced: int = 60
    think: float = 2.0
    limited: int = 30


def roomy(plan: Plan) -> Settings:
    """The shipped settings with a session big enough for everyone of the plan."""
    shipped = load_settings(ROOT / "settings.toml")
    seats = max(plan.participants, plan.paced, plan.limited)
    session = shipped.sessions[0].model_copy(update={"capacity": seats})
    return shipped.model_copy(update={"sessions": [session]})


def unpaced(settings: Settings) -> Settings:
    """The dispatcher paces every send, replies too, at the broadcast rate (25/s shipped):
    at 1,000/s it is out of the way when the limits are off."""
    fast = settings.broadcast.model_copy(update={"rate_per_second": 1000.0})
    return settings.model_copy(update={"broadcast": fast})


def line(label: str, r: dict[str, float]) -> str:
    return (
        f"journey {label}: {r['updates_per_second']:.0f} updates/s,"
        f" median {r['median_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms"
        + (f", errors {r['errors']:.0f}, lost {r['lost']:.0f}" if "errors" in r else "")
    )


STEPS = len(journey(0))


def at_once(plan: Plan) -> str:
    return f"journey {plan.participants} x {STEPS} updates at once"


def rate(dbs: Databases, table: Table, plan: Plan) -> None:
    """The rate run (everyone at once, limits off) on each backend of `dbs`, SQLite first."""
    setup_logging("WARNING")  # as the bot logs in production (429s are handled, not errors)
    free = unpaced(roomy(plan))
    for database in dbs.backends:
        mine = asyncio.run(ours(plan.participants, free, UNLIMITED, False, 0, dbs, database))
        label = f"{plan.participants} people x {STEPS} updates at once, on {LABELS[database]}"
        print(line(label, mine), flush=True)
        table.add(at_once(plan), "updates/s", database, mine["updates_per_second"])
        table.add(at_once(plan) + ": errors+lost", "count", database, mine["errors"] + mine["lost"])


def latency(dbs: Databases, table: Table, plan: Plan) -> None:
    """The paced run (limits off) and the run under Telegram's limits, on each backend."""
    setup_logging("WARNING")
    settings = roomy(plan)
    for database in dbs.backends if plan.paced else ():
        paced = asyncio.run(
            ours(plan.paced, unpaced(settings), UNLIMITED, False, plan.think, dbs, database)
        )
        label = f"{plan.paced} people pausing {plan.think:g} s on average, limits off"
        print(line(f"{label}, on {LABELS[database]}", paced), flush=True)
        table.add(f"journey {plan.paced} paced: p99", "ms", database, paced["p99_ms"])
        table.add(f"journey {plan.paced} paced: median", "ms", database, paced["median_ms"])
    for database in dbs.backends if plan.limited else ():
        telegram = Limits()  # Telegram's: 30 messages a second overall
        capped = asyncio.run(ours(plan.limited, settings, telegram, True, 0, dbs, database))
        label = f"{plan.limited} people at once, Telegram's limits and the bot's"
        print(line(f"{label}, on {LABELS[database]}", capped), flush=True)
        table.add(
            f"journey {plan.limited} at 30/s", "updates/s", database, capped["updates_per_second"]
        )


def against_echo(table: Table, plan: Plan) -> None:
    """The bare echo bot with the rate run's messages, and our (median) rates against it."""
    bare = asyncio.run(echo(plan.participants, STEPS))
    print(line("bare PTB echo bot, the same messages", bare))
    row = table.rows.get(at_once(plan))
    rates = {d: row.median(d) for d in BACKENDS} if row else {}
    print(
        "journey rate against the bare echo bot's: "
        + ", ".join(
            f"{LABELS[d]} {r / bare['updates_per_second']:.2f}"
            for d, r in rates.items()
            if r is not None
        )
        + f"; peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
        " (bot, server and people in one process). With no pauses the times are"
        " queueing: people / rate (Little's law).",
        flush=True,
    )
    for database, r in rates.items():
        if r is not None:
            shares = r / bare["updates_per_second"]
            table.add(at_once(plan) + ": of the echo bot's", "share", database, shares)


def measure(dbs: Databases, table: Table, plan: Plan) -> None:
    """The plan's runs on each backend of `dbs` (SQLite first), then the bare echo bot once
    (it has no database); each figure printed and put in `table`."""
    rate(dbs, table, plan)
    latency(dbs, table, plan)
    against_echo(table, plan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, default=150, help="people in the rate run")
    parser.add_argument("--paced", type=int, default=60, help="people in the latency run")
    parser.add_argument("--think", type=float, default=2.0, help="mean pause (s), latency run")
    parser.add_argument("--limited", type=int, default=30, help="people in the run with limits")
    parser.add_argument("--database", choices=(*BACKENDS, "both"), default="both")
    args, _ = parser.parse_known_args()
    plan = Plan(args.participants, args.paced, args.think, args.limited)
    table = Table()
    with Databases(chosen(args.database)) as dbs:
        measure(dbs, table, plan)
    print(table.show())


if __name__ == "__main__":
    main()
