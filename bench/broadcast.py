"""Broadcast throughput against the local Bot API server with Telegram's limits enforced.

The server enforces a global messages-per-second limit and one message a second
per chat (429 with retry_after beyond), answers 1 % of sends with a 500, and 2 %
of the recipients have blocked the bot. Reported per mode: the achieved rate as a
fraction of the server's limit (measured until 97 % of the reachable recipients
have their message, so the 500s' backoff tail does not count), messages lost
(reachable recipients without exactly one copy), duplicates, and peak RSS of this
one process (which holds the server, all simulated users and the bot).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.sandbox.harness import Sandbox
from bot.sandbox.limits import Faults, Limits
from bot.sandbox.world import SimMessage
from bot.settings import load_settings
from store import broadcasts, participants

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Result:
    mode: str
    recipients: int
    limit: int
    fraction: float
    lost: int
    duplicates: int
    seconds: float


async def run(mode: str, recipients: int, limit: int) -> Result:
    settings = load_settings(ROOT / "settings.toml")
    paid = mode == "paid"
    # The dispatcher is set to the server's limit: the ratio is what counts.
    tuned = settings.broadcast.model_copy(
        update={
            "rate_per_second": limit,
            "allow_paid_broadcast": paid,
            "paid_rate_per_second": limit,
        }
    )
    settings = settings.model_copy(update={"broadcast": tuned})
    limits = Limits(global_per_second=limit, per_chat_per_second=1, group_per_minute=None)
    faults = Faults(error_rate=0.01, seed=42)
    with tempfile.TemporaryDirectory() as folder:
        async with Sandbox(
            settings,
            Path(folder) / "bench.sqlite3",
            limits=limits,
            faults=faults,
            rate_limited=False,
        ) as tg:
            people = [tg.person(f"R{i:05d}") for i in range(recipients)]
            now = datetime.now(UTC)
            for person in people:
                tg.world.private_chat(person.user)
                await participants.seen(
                    tg.store,
                    telegram_id=person.user.id,
                    chat_id=person.user.id,
                    first_name=person.user.first_name,
                    last_name=None,
                    username=None,
                    language="en",
                    now=now,
                )
            blocked = {p.user.id for p in people[::50]}  # 2 %
            for person in people:
                if person.user.id in blocked:
                    person.block()
            copies: dict[int, int] = {}

            def count(event: str, message: SimMessage) -> None:
                if event == "new" and message.text == "Bench":
                    copies[message.chat.id] = copies.get(message.chat.id, 0) + 1

            tg.world.listeners.append(count)
            reachable = recipients - len(blocked)
            started = time.perf_counter()
            await broadcasts.create(
                tg.store,
                created_by=None,
                audience="everyone",
                html="Bench",
                button=None,
                due_at=datetime.now(UTC),
                recipients=[p.user.id for p in people],
                now=datetime.now(UTC),
            )
            assert tg.app is not None
            await tg.app.bot_data.dispatcher.wake()
            await tg.world.wait_for(lambda: len(copies) >= 0.97 * reachable, timeout=3600)
            main_phase = time.perf_counter() - started
            await tg.world.wait_for(lambda: len(copies) >= reachable, timeout=600)
            total = time.perf_counter() - started
    lost = reachable - sum(1 for chat, n in copies.items() if n >= 1 and chat not in blocked)
    duplicates = sum(n - 1 for n in copies.values())
    return Result(
        mode, recipients, limit, 0.97 * reachable / main_phase / limit, lost, duplicates, total
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true", help="also 10,000 recipients at 30/s")
    args, _ = parser.parse_known_args()
    plan = [("free", 3000, 100), ("paid", 10000, 1000)]
    if args.full:
        plan.insert(1, ("free", 10000, 30))
    results = [asyncio.run(run(mode, n, limit)) for mode, n, limit in plan]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for r in results:
        print(
            f"broadcast {r.mode}: {r.recipients} recipients at {r.limit}/s -> {r.fraction:.2f}"
            f" of the limit, lost {r.lost}, duplicates {r.duplicates},"
            f" all done in {r.seconds:.1f} s"
        )
    print(
        "broadcast summary: "
        + "; ".join(f"{r.mode} {r.recipients}@{r.limit}/s {r.fraction:.2f}" for r in results)
        + f"; lost {sum(r.lost for r in results)}; duplicates "
        f"{sum(r.duplicates for r in results)}; peak RSS {peak:.0f} MB"
    )


if __name__ == "__main__":
    main()
