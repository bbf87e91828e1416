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
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

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
    recipients: int
    limit: int
    fraction: float
    used: float
    lost: int
    duplicates: int
    seconds: float
    bot_rss_mb: float


async def _seed(db: Path, people: list[Person]) -> None:
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


async def run(mode: str, recipients: int, limit: int) -> Result:
    limits = Limits(global_per_second=limit, per_chat_per_second=1, group_per_minute=None)
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.sqlite3"
        async with BotApiServer(
            TOKEN, limits=limits, faults=Faults(error_rate=0.01, seed=42)
        ) as server:
            people = [Person.create(server.world, f"R{i:05d}") for i in range(recipients)]
            blocked = {p.user.id for p in people[::50]}  # 2 %
            for person in people:
                server.world.private_chat(person.user)
                person.user.blocked_bot = person.user.id in blocked
            await _seed(db, people)
            copies: dict[int, int] = {}
            first: list[float] = []
            calls_at_first: list[int] = []

            def count(event: str, message: SimMessage) -> None:
                if event == "new" and message.text == "Bench":
                    if not first:
                        first.append(time.perf_counter())
                        calls_at_first.append(len(server.world.calls))
                    copies[message.chat.id] = copies.get(message.chat.id, 0) + 1

            server.world.listeners.append(count)
            env = {
                **os.environ,
                "MOOC_BOT_TOKEN": TOKEN,
                "MOOC_BOT_API_URL": server.url,
                "MOOC_BOT_DB": str(db),
                "MOOC_BOT_LOGGING__LEVEL": "WARNING",
                "MOOC_BOT_BROADCAST__RATE_PER_SECOND": str(limit),
                "MOOC_BOT_BROADCAST__ALLOW_PAID_BROADCAST": "true" if mode == "paid" else "false",
                "MOOC_BOT_BROADCAST__PAID_RATE_PER_SECOND": str(limit),
            }
            bot = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                _CHILD,
                "--settings",
                str(ROOT / "settings.toml"),
                "run",
                env=env,
                cwd=ROOT,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
            )
            reachable = recipients - len(blocked)
            try:
                await server.world.wait_for(lambda: len(copies) >= 0.97 * reachable, timeout=3600)
                main_phase = time.perf_counter() - first[0]
                # Every sendMessage the server answered (deliveries, 403s, injected 500s;
                # not 429s): the share of the limit the bot used.
                answered = sum(
                    1
                    for call in server.world.calls[calls_at_first[0] :]
                    if call.method == "sendMessage" and call.status != 429
                )
                await server.world.wait_for(lambda: len(copies) >= reachable, timeout=600)
                total = time.perf_counter() - first[0]
            finally:
                bot.send_signal(2)
                out, _ = await bot.communicate()
    rss = float(out.decode().strip().splitlines()[-1]) if out.strip() else 0.0
    lost = reachable - sum(1 for chat in copies if chat not in blocked)
    duplicates = sum(n - 1 for n in copies.values())
    fraction = 0.97 * reachable / main_phase / limit
    used = answered / main_phase / limit
    return Result(mode, recipients, limit, fraction, used, lost, duplicates, total, rss)


# The bot as a child process that reports its own peak RSS (MB) when it stops.
_CHILD = """
import resource, sys
from bot.cli.main import main
code = main(sys.argv[1:])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, flush=True)
sys.exit(code)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true", help="also 10,000 recipients at 30/s")
    args, _ = parser.parse_known_args()
    plan = [("free", 3000, 100), ("paid", 10000, 1000)]
    if args.full:
        plan.insert(1, ("free", 10000, 30))
    results = [asyncio.run(run(mode, n, limit)) for mode, n, limit in plan]
    server_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for r in results:
        print(
            f"broadcast {r.mode}: {r.recipients} recipients at {r.limit}/s -> {r.fraction:.2f}"
            f" of the limit in deliveries ({r.used:.2f} in requests the server answered,"
            f" with 403s and 500s), lost {r.lost}, duplicates {r.duplicates},"
            f" all done in {r.seconds:.1f} s, bot peak RSS {r.bot_rss_mb:.0f} MB"
        )
    print(
        "broadcast summary: "
        + "; ".join(f"{r.mode} {r.recipients}@{r.limit}/s {r.fraction:.2f}" for r in results)
        + f"; lost {sum(r.lost for r in results)}; duplicates {sum(r.duplicates for r in results)};"
        + f" bot peak RSS {max(r.bot_rss_mb for r in results):.0f} MB;"
        + f" server+users peak RSS {server_rss:.0f} MB"
    )


if __name__ == "__main__":
    main()
