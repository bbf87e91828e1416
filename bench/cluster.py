"""Two bot processes against one on PostgreSQL: webhook mode behind a round-robin proxy.

Each run takes a fresh database on the bench's PostgreSQL server and starts N bot
processes (`mooc-bot run`, webhook mode, each on a port of its own, one webhook
secret) behind tests/proxy.py's `RoundRobinProxy`, a reverse proxy in this process
that hands each post of the local Bot API server to the next process in turn (to the
one after when one refuses the connection). The processes start one after the other; the first leads
(bot/services/leadership.py: it alone sends, the others queue and NOTIFY it).

Measured, for N = 1 and N = 2 on the same machine in the same run:
- the journey's update rate (bench/journey.py's 28 steps, people at once, the server's
  limits off and the bots' own at 1,000/s), with errors and answers lost;
- the broadcast (bench/broadcast.py: 1 % 500s, 2 % blocked), with the 429s the
  server answered: the token's limit holds across the processes.
The local server posts one update at a time, waiting for each answer (Telegram
opens up to 40 connections), so the journey's rate through a webhook is capped by one
post's round trip; with two cores, two processes also share them with PostgreSQL,
the server and the people.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import socket
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.backends import POSTGRESQL, Databases
from bench.broadcast import TOKEN, Deliveries, bot_env, faults, limits_of, spawn, stopped
from bench.journey import STEPS_TYPED, UNLIMITED, Inboxes, Tally, figures, journey, walk, words
from bench.table import Table
from bot.sandbox import BotApiServer, Person
from store import answers
from store.db import Store
from tests.proxy import RoundRobinProxy

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-cluster-secret"
HOOK = "/telegram"
STARTED_WITHIN_S = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def roomy_settings(folder: Path, seats: int) -> Path:
    """The shipped settings.toml with its session's capacity raised to `seats`."""
    text = (ROOT / "settings.toml").read_text(encoding="utf-8")
    path = folder / "settings.toml"
    path.write_text(re.sub(r"(?m)^capacity = \d+", f"capacity = {seats}", text), "utf-8")
    return path


@asynccontextmanager
async def bots(
    count: int, server: BotApiServer, db: str, mode: str, limit: int, settings: Path
) -> AsyncIterator[tuple[RoundRobinProxy, list[float]]]:
    """`count` bot processes in webhook mode behind a proxy, started one after the other,
    each answering /health before the next; their peak RSS (MB) in the list at the end."""
    ports = [free_port() for _ in range(count)]
    rss: list[float] = []
    upstreams = [f"http://127.0.0.1:{port}" for port in ports]
    async with RoundRobinProxy(upstreams) as proxy, aiohttp.ClientSession() as client:
        processes = []
        try:
            for port in ports:
                env = bot_env(server.url, db, mode, limit) | {
                    "MOOC_BOT_BOT__MODE": "webhook",
                    "MOOC_BOT_BOT__WEBHOOK_URL": proxy.url + HOOK,
                    "MOOC_BOT_BOT__LISTEN": f"127.0.0.1:{port}",
                    "MOOC_BOT_BOT__WEBHOOK_SECRET": SECRET,
                }
                processes.append(await spawn(env, settings))
                await _healthy(client, port, processes[-1])
            await server.world.wait_for(lambda: bool(server.world.webhook.get("url")), 30)
            yield proxy, rss
        finally:
            rss.extend([await stopped(process) for process in processes])


async def _healthy(
    client: aiohttp.ClientSession, port: int, bot: asyncio.subprocess.Process
) -> None:
    deadline = time.monotonic() + STARTED_WITHIN_S
    while time.monotonic() < deadline and bot.returncode is None:
        try:
            async with client.get(f"http://127.0.0.1:{port}/health") as answer:
                if answer.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)  # polling a starting process: no event to wait on
    raise RuntimeError(f"the bot on port {port} did not start (exit {bot.returncode})")


@dataclass
class Outcome:
    figures: dict[str, float]
    taken: list[int]
    rss: list[float]


async def journey_rate(dbs: Databases, count: int, people: int) -> Outcome:
    """`people` journeys at once through `count` processes; rate, errors, answers lost."""
    with tempfile.TemporaryDirectory() as folder:
        settings = roomy_settings(Path(folder), people)
        async with (
            dbs.fresh(POSTGRESQL) as db,
            BotApiServer(TOKEN, limits=UNLIMITED) as server,
        ):
            async with bots(count, server, db, "paid", 1000, settings) as (proxy, rss):
                inboxes = Inboxes()
                server.world.listeners.append(inboxes.listen)
                persons = [Person.create(server.world, f"P{i}") for i in range(people)]
                for person in persons:
                    inboxes.queues[person.chat.id] = asyncio.Queue()
                tally = Tally()
                began = time.perf_counter()
                await asyncio.gather(
                    *(
                        walk(p, journey(i), inboxes.queues[p.chat.id], tally)
                        for i, p in enumerate(persons)
                    )
                )
                seconds = time.perf_counter() - began
                taken = [proxy.answered[upstream] for upstream in proxy.upstreams]
            refused = [c for c in server.world.calls if c.status >= 400 and c.status != 429]
            errors = len(refused)
            for call in refused[:3]:
                print(f"  refused: {call.method} {call.status} {call.description}", flush=True)
            lost = 0
            async with Store(db) as store:
                for i, person in enumerate(persons):
                    kept = await answers.latest(store, person.user.id, "reflection")
                    for question, step in STEPS_TYPED:
                        answer = kept.get(step)
                        lost += answer is None or answer.value != words(i, question)
    result = figures(tally, seconds) | {
        "errors": float(errors + tally.apologies + tally.stalled),
        "lost": float(lost),
    }
    return Outcome(result, taken, rss)


async def broadcast_rate(
    dbs: Databases, count: int, mode: str, recipients: int, limit: int
) -> Outcome:
    """A broadcast by `count` processes: deliveries as a fraction of the limit, 429s."""
    async with (
        dbs.fresh(POSTGRESQL) as db,
        BotApiServer(TOKEN, limits=limits_of(limit), faults=faults()) as server,
    ):
        deliveries = Deliveries(server, recipients)
        await deliveries.seed(db)
        async with bots(count, server, db, mode, limit, ROOT / "settings.toml") as (_, rss):
            timing = await deliveries.delivered()
        slowed = [call for call in server.world.calls if call.status == 429]
        throttled = len(slowed)
        for call in slowed[:3]:
            print(f"  429: {call.method} {call.description}", flush=True)
    r = deliveries.result(mode, POSTGRESQL, limit, timing, max(rss, default=0.0))
    result = {
        "fraction": r.fraction,
        "seconds": r.seconds,
        "lost": float(r.lost),
        "duplicates": float(r.duplicates),
        "throttled": float(throttled),
    }
    return Outcome(result, [], rss)


def measure(
    dbs: Databases,
    pairs: Table,
    people: int = 100,
    broadcasts: tuple[tuple[str, int, int], ...] = (("free", 1000, 100), ("paid", 10000, 1000)),
    rounds: int = 1,
) -> None:
    """One process, then two, for the journey (`rounds` times) and each broadcast (once);
    figures into `pairs` (its columns "1" and "2")."""
    steps = len(journey(0))
    for count in [1, 2] * rounds:
        o = asyncio.run(journey_rate(dbs, count, people))
        f = o.figures
        print(
            f"cluster journey, {count} process(es): {people} x {steps} updates at once ->"
            f" {f['updates_per_second']:.0f} updates/s, median {f['median_ms']:.0f} ms,"
            f" p99 {f['p99_ms']:.0f} ms, errors {f['errors']:.0f}, lost {f['lost']:.0f};"
            f" posts taken per process {o.taken}; peak RSS {[round(m) for m in o.rss]} MB",
            flush=True,
        )
        label = f"journey {people} x {steps} at once, webhook"
        pairs.add(label, "updates/s", str(count), f["updates_per_second"])
        pairs.add(label + ": errors+lost", "count", str(count), f["errors"] + f["lost"])
    for mode, recipients, limit in broadcasts:
        for count in (1, 2):
            o = asyncio.run(broadcast_rate(dbs, count, mode, recipients, limit))
            f = o.figures
            print(
                f"cluster broadcast {mode}, {count} process(es): {recipients} at {limit}/s ->"
                f" {f['fraction']:.2f} of the limit, all done in {f['seconds']:.1f} s,"
                f" lost {f['lost']:.0f}, duplicates {f['duplicates']:.0f},"
                f" 429s {f['throttled']:.0f}; peak RSS {[round(m) for m in o.rss]} MB",
                flush=True,
            )
            label = f"broadcast {mode}, {recipients:,} at {limit}/s"
            pairs.add(label, "of the limit", str(count), f["fraction"])
            pairs.add(label + ": 429s", "count", str(count), f["throttled"])


def pairs_table() -> Table:
    return Table(
        columns=("1", "2"),
        title="Two bot processes against one, PostgreSQL, webhook mode",
        ratio="2/1",
        labels={"1": "1 process", "2": "2 processes"},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100, help="people in the journey")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of the journey")
    args, _ = parser.parse_known_args()
    table = pairs_table()
    with Databases([POSTGRESQL]) as dbs:
        measure(dbs, table, args.people, rounds=args.repeat)
    print(table.show())


if __name__ == "__main__":
    main()
