"""Broadcast throughput against the local Bot API server with Telegram's limits enforced.

The server (in this process) enforces a global messages-per-second limit and one
message a second per chat (429 with retry_after beyond), answers 1 % of sends
with a 500, and 2 % of the recipients have blocked the bot. The bot runs as its
own process (`mooc-bot run`), as in production, so the two share the machine's
two cores. Reported per mode: the achieved rate as a fraction of the server's
limit (from the first delivery until 97 % of the reachable recipients have
theirs, so the 500s' backoff tail does not count), messages lost (reachable
recipients without a copy), duplicates, and the peak RSS of each process.

Deliveries are at most about 0.95 of the limit here: 2 % of the sends reach
blocked recipients (403) and 1 % are answered 500, and those use the limit too,
as does the pacer's 20 ms safety margin per second. So the line also shows the
requests the server answered per second as a share of the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.backends import BACKENDS, LABELS, Databases, chosen
from bench.table import Table
from bot.sandbox import BotApiServer, Person
from bot.sandbox.harness import known
from bot.sandbox.limits import Faults, Limits
from bot.sandbox.records import SimMessage
from store import broadcasts
from store.db import Store

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "424242:BENCH-local-only"


@dataclass
class Result:
    mode: str
    database: str
    recipients: int
    limit: int
    fraction: float
    used: float
    lost: int
    duplicates: int
    seconds: float
    bot_rss_mb: float


async def _seed(db: str, people: list[Person]) -> None:
    now = datetime.now(UTC)
    async with Store(db) as store:
        await known(store, people, now)
        await broadcasts.create(
            store,
            created_by=None,
            audience="everyone",
            html="Bench",
            button=None,
            due_at=now,
            recipients=[p.user.id for p in people],
            now=now,
        )


class Deliveries:
    """The bench's broadcast as the server's recipients get it: copies per chat, the time
    of the first, and the calls the server had answered by then."""

    def __init__(self, server: BotApiServer, recipients: int) -> None:
        self.server = server
        self.people = [Person.create(server.world, f"R{i:05d}") for i in range(recipients)]
        self.blocked = {p.user.id for p in self.people[::50]}  # 2 %
        for person in self.people:
            server.world.private_chat(person.user)
            person.user.blocked_bot = person.user.id in self.blocked
        self.reachable = recipients - len(self.blocked)
        self.copies: dict[int, int] = {}
        self.first = 0.0
        self.calls_at_first = 0
        server.world.listeners.append(self._count)

    def _count(self, event: str, message: SimMessage) -> None:
        if event == "new" and message.text == "Bench":
            if not self.first:
                self.first = time.perf_counter()
                self.calls_at_first = len(self.server.world.calls)
            self.copies[message.chat.id] = self.copies.get(message.chat.id, 0) + 1

    async def seed(self, db: str) -> None:
        await _seed(db, self.people)

    async def delivered(self) -> tuple[float, float, float]:
        """Wait for every reachable copy: (seconds to 97 %, sends the server answered per
        second meanwhile, seconds to the last)."""
        world = self.server.world
        await world.wait_for(lambda: len(self.copies) >= 0.97 * self.reachable, timeout=3600)
        main_phase = time.perf_counter() - self.first
        # Every sendMessage the server answered (deliveries, 403s, injected 500s;
        # not 429s): the share of the limit the bot used.
        answered = sum(
            1
            for call in world.calls[self.calls_at_first :]
            if call.method == "sendMessage" and call.status != 429
        )
        await world.wait_for(lambda: len(self.copies) >= self.reachable, timeout=600)
        return main_phase, answered / main_phase, time.perf_counter() - self.first

    def result(
        self, mode: str, database: str, limit: int, timing: tuple[float, float, float], rss: float
    ) -> Result:
        main_phase, answered_per_second, total = timing
        lost = self.reachable - sum(1 for chat in self.copies if chat not in self.blocked)
        duplicates = sum(n - 1 for n in self.copies.values())
        fraction = 0.97 * self.reachable / main_phase / limit
        used = answered_per_second / limit
        recipients = len(self.people)
        return Result(
            mode, database, recipients, limit, fraction, used, lost, duplicates, total, rss
        )


def bot_env(server_url: str, db: str, mode: str, limit: int) -> dict[str, str]:
    """The environment of a bot process for the bench: its server, database and rates."""
    return {
        **os.environ,
        "MOOC_BOT_TOKEN": TOKEN,
        "MOOC_BOT_API_URL": server_url,
        "MOOC_BOT_DB": db,
        "MOOC_BOT_LOGGING__LEVEL": "WARNING",
        "MOOC_BOT_BROADCAST__RATE_PER_SECOND": str(min(limit, 1000)),
        "MOOC_BOT_BROADCAST__ALLOW_PAID_BROADCAST": "true" if mode == "paid" else "false",
        "MOOC_BOT_BROADCAST__PAID_RATE_PER_SECOND": str(min(limit, 1000)),
    }


async def spawn(env: dict[str, str], settings: Path | None = None) -> asyncio.subprocess.Process:
    """`mooc-bot run` as a process of its own that prints its peak RSS (MB) at the end
    (its log into a file of its own, MOOC_BENCH_BOT_LOG.<n>, when that is set)."""
    log = os.environ.get("MOOC_BENCH_BOT_LOG")
    stderr = _log_file(f"{log}.{time.monotonic_ns()}") if log else asyncio.subprocess.DEVNULL
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _CHILD,
            "--settings",
            str(settings or ROOT / "settings.toml"),
            "run",
            env=env,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
        )
    finally:
        if log:
            os.close(stderr)


def _log_file(path: str) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)


async def stopped(bot: asyncio.subprocess.Process) -> float:
    """Stop a bot as systemd would (SIGINT here) and return its peak RSS (MB)."""
    if bot.returncode is None:
        bot.send_signal(2)
    out, _ = await bot.communicate()
    return float(out.decode().strip().splitlines()[-1]) if out.strip() else 0.0


async def run(
    mode: str, recipients: int, limit: int, dbs: Databases | None = None, database: str = "sqlite"
) -> Result:
    """One broadcast, `mode` free or paid, to `recipients` at `limit` a second, by the bot
    as a process of its own on a fresh database of `database` (sqlite or postgresql)."""
    dbs = dbs or Databases([database])
    async with (
        dbs.fresh(database) as db,
        BotApiServer(TOKEN, limits=limits_of(limit), faults=faults()) as server,
    ):
        deliveries = Deliveries(server, recipients)
        await deliveries.seed(db)
        bot = await spawn(bot_env(server.url, db, mode, limit))
        try:
            timing = await deliveries.delivered()
        finally:
            rss = await stopped(bot)
    return deliveries.result(mode, database, limit, timing, rss)


def limits_of(limit: int) -> Limits:
    """The server's limits for a broadcast at `limit`: overall, and one a second per chat."""
    return Limits(global_per_second=limit, per_chat_per_second=1, group_per_minute=None)


def faults() -> Faults:
    return Faults(error_rate=0.01, seed=42)


# The bot as a child process that reports its own peak RSS (MB) when it stops.
_CHILD = """
import sys
from bot.cli.main import main
code = main(sys.argv[1:])
# VmHWM, not ru_maxrss: that one keeps the bench's own peak across fork and exec.
status = open("/proc/self/status").read()
print(int(status.split("VmHWM:")[1].split()[0]) / 1024, flush=True)
sys.exit(code)
"""


PLAN = (("free", 3000, 100), ("paid", 10000, 1000))


def label(mode: str, recipients: int, limit: int) -> str:
    return f"broadcast {mode}, {recipients:,} at {limit}/s"


def measure(
    dbs: Databases, table: Table, plan: tuple[tuple[str, int, int], ...] = PLAN
) -> list[Result]:
    """Each broadcast of the plan on each of the run's backends, one after the other
    (SQLite then PostgreSQL, so both meet the same machine); figures into `table`."""
    results = []
    for mode, n, limit in plan:
        for database in dbs.backends:
            r = asyncio.run(run(mode, n, limit, dbs, database))
            print(line(r), flush=True)
            results.append(r)
            table.add(label(mode, n, limit), "of the limit", database, r.fraction)
            table.add(label(mode, n, limit) + ": all done", "s", database, r.seconds)
    return results


def line(r: Result) -> str:
    return (
        f"broadcast {r.mode} on {LABELS[r.database]}: {r.recipients} recipients at {r.limit}/s"
        f" -> {r.fraction:.2f} of the limit in deliveries ({r.used:.2f} in requests the server"
        f" answered, with 403s and 500s), lost {r.lost}, duplicates {r.duplicates},"
        f" all done in {r.seconds:.1f} s, bot peak RSS {r.bot_rss_mb:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true", help="also 10,000 recipients at 30/s")
    parser.add_argument("--database", choices=(*BACKENDS, "both"), default="both")
    args, _ = parser.parse_known_args()
    plan = PLAN if not args.full else (PLAN[0], ("free", 10000, 30), PLAN[1])
    table = Table()
    with Databases(chosen(args.database)) as dbs:
        results = measure(dbs, table, plan)
    server_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        "broadcast summary: "
        + "; ".join(
            f"{r.mode} {r.recipients}@{r.limit}/s on {LABELS[r.database]} {r.fraction:.2f}"
            for r in results
        )
        + f"; lost {sum(r.lost for r in results)}; duplicates {sum(r.duplicates for r in results)};"
        + f" bot peak RSS {max(r.bot_rss_mb for r in results):.0f} MB;"
        + f" server+users peak RSS {server_rss:.0f} MB"
    )
    print(table.show())


if __name__ == "__main__":
    main()
