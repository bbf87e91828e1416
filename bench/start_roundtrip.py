"""How fast the bot answers /start: many participants at once, over the local Bot API server.

Reports updates handled per second, median and 99th-percentile time from a
participant's /start to the menu arriving, and peak RSS. Figures from one run on
a shared machine: compare ratios within a run, not absolute numbers across runs.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import tempfile
import time
from pathlib import Path

from bot.base.settings import load_settings
from bot.sandbox.harness import Sandbox
from bot.sandbox.limits import Limits
from bot.sandbox.records import SimMessage

ROOT = Path(__file__).resolve().parent.parent


async def measure(participants: int, *, rate_limited: bool) -> dict[str, float]:
    settings = load_settings(ROOT / "settings.toml")
    limits = Limits(global_per_second=None, per_chat_per_second=None, group_per_minute=None)
    with tempfile.TemporaryDirectory() as folder:
        async with Sandbox(
            settings, Path(folder) / "bench.sqlite3", limits=limits, rate_limited=rate_limited
        ) as tg:
            sent_at: dict[int, float] = {}
            answered_at: dict[int, float] = {}

            def on_message(event: str, message: SimMessage) -> None:
                if event == "new" and message.button_labels and message.chat.id in sent_at:
                    answered_at.setdefault(message.chat.id, time.perf_counter())

            tg.world.listeners.append(on_message)
            people = [tg.person(f"P{i}") for i in range(participants)]
            started = time.perf_counter()
            for person in people:
                sent_at[person.user.id] = time.perf_counter()
                person.send("/start")
            await tg.world.wait_for(lambda: len(answered_at) == participants, timeout=300)
            elapsed = time.perf_counter() - started
    latencies = sorted(answered_at[k] - sent_at[k] for k in sent_at)
    return {
        "participants": float(participants),
        "updates_per_second": participants / elapsed,
        "median_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(0.99 * (len(latencies) - 1))] * 1000,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, default=300)
    args, _ = parser.parse_known_args()
    # Each /start sends four messages. With the bot's 30-a-second safety net, as
    # shipped, Telegram's limit is the bottleneck; without it, the bot itself is.
    for rate_limited in (False, True):
        result = asyncio.run(measure(args.participants, rate_limited=rate_limited))
        label = "with 30/s limiter" if rate_limited else "limiter off     "
        print(f"start_roundtrip {label}: " + "  ".join(f"{k}={v:.1f}" for k, v in result.items()))


if __name__ == "__main__":
    main()
