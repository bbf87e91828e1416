"""The whole participant journey under load, against a bare python-telegram-bot echo bot.

N simulated participants (default 1,000) at once, each as a person would: /start,
one part of the course (pressing Next), the five reflections (choices, words,
Done, Confirm) and the registration: 28 updates each, every one waiting for the
bot's answer before the next. Reported: updates handled per second, median and
99th-percentile time from a participant's message or tap to the bot's first
answer, errors (answers with an error status, apologies, participants who
stalled), answers lost (typed but not in the database), and peak RSS (this
process: the server, the simulated people and the bot).

The same people then drive a bare PTB echo bot (concurrent updates and a 64-
connection pool, so the library at its best) with the same number of messages, on
the same server, in the same run: our rate as a fraction of the echo bot's is the
figure that carries across machines.

First run: the server's limits off, and the bot's own 30/s safety net too, so the
bot is what is measured (target: p99 under 250 ms, rate at least 0.5 of the echo
bot's, 0 errors, 0 lost, under 200 MB). Second run (`--limited N`, default 50
people): Telegram's limits enforced by the server and the bot's limiter on, as
in production; the server's 30 messages a second is then the bottleneck.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

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
    people: int, settings: Settings, limits: Limits, limited: bool, think: float = 0.0
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        async with Sandbox(
            settings,
            Path(folder) / "journey.sqlite3",
            limits=limits,
            rate_limited=limited,
            poll_timeout=10,
        ) as tg:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, default=1000, help="people in the rate run")
    parser.add_argument("--paced", type=int, default=300, help="people in the latency run")
    parser.add_argument("--think", type=float, default=3.0, help="mean pause (s), latency run")
    parser.add_argument("--limited", type=int, default=50, help="people in the run with limits")
    args, _ = parser.parse_known_args()
    setup_logging("WARNING")  # as the bot logs in production (429s are handled, not errors)
    shipped = load_settings(ROOT / "settings.toml")
    seats = max(args.participants, args.paced, args.limited)
    roomy = shipped.sessions[0].model_copy(update={"capacity": seats})
    settings = shipped.model_copy(update={"sessions": [roomy]})
    steps = len(journey(0))

    def line(label: str, r: dict[str, float]) -> str:
        return (
            f"journey {label}: {r['updates_per_second']:.0f} updates/s,"
            f" median {r['median_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms"
            + (f", errors {r['errors']:.0f}, lost {r['lost']:.0f}" if "errors" in r else "")
        )

    mine = asyncio.run(ours(args.participants, settings, UNLIMITED, limited=False))
    rss = mine["peak_rss_mb"]
    print(
        line(f"{args.participants} people x {steps} updates at once, limits off", mine), flush=True
    )
    bare = asyncio.run(echo(args.participants, steps))
    print(line("bare PTB echo bot, the same messages", bare))
    print(
        f"journey rate: {mine['updates_per_second'] / bare['updates_per_second']:.2f} of the"
        f" bare echo bot's; peak RSS {rss:.0f} MB (bot, server and people in one process)."
        " With no pauses the times are queueing: people / rate (Little's law)."
    )
    if args.paced:
        paced = asyncio.run(ours(args.paced, settings, UNLIMITED, False, think=args.think))
        print(line(f"{args.paced} people pausing {args.think:g} s on average, limits off", paced))
    if args.limited:
        telegram = Limits()  # Telegram's: 30 messages a second overall
        capped = asyncio.run(ours(args.limited, settings, telegram, limited=True))
        print(line(f"{args.limited} people at once, Telegram's limits and the bot's", capped))


if __name__ == "__main__":
    main()
