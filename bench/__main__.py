"""`make bench`: the benchmarks in one run, on SQLite and on PostgreSQL, then two processes.

`python -m bench [--database sqlite|postgresql|both] [--repeat N] [--full] [--all]
[--no-cluster]`. With both (the default), one throwaway PostgreSQL server serves the
whole run (bench/backends.py) and every measurement gets a fresh database; each bench
runs on SQLite and then on PostgreSQL, so both meet the same machine, and the end
prints one table (bench | SQLite | PostgreSQL | PG/SQLite), then two bot processes
against one on PostgreSQL (bench/cluster.py). The paid broadcast, the export, the
digest and the journey's rate (with one process and two, too) run `--repeat` rounds
(3) and show medians; the free broadcast (the server's limit is its bound), the
journey's latency runs and the two-process broadcasts run once.
`--all` adds the SQLite-only benches (the /start round trip, people first);
`--full` the long broadcast (10,000 at 30/s) and the journey at 1,000 people.
Every figure carries the 1-minute load average when it was taken (2 cores).
"""

from __future__ import annotations

import argparse
import time

from bench import broadcast, cluster, digest, export, journey, people_first, start_roundtrip
from bench.backends import BACKENDS, POSTGRESQL, Databases, chosen
from bench.table import Table, load


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--database", choices=(*BACKENDS, "both"), default="both")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of the comparison")
    parser.add_argument("--full", action="store_true", help="the long sizes too")
    parser.add_argument("--all", action="store_true", help="the SQLite-only benches too")
    parser.add_argument("--no-cluster", action="store_true", help="no two-process part")
    args, _ = parser.parse_known_args()
    plan = journey.Plan(participants=1000) if args.full else journey.Plan()
    casts = broadcast.PLAN if not args.full else (*broadcast.PLAN, ("free", 10000, 30))
    backends = chosen(args.database)
    print(
        f"bench: on {', '.join(backends)}, {args.repeat} round(s); broadcasts "
        + ", ".join(f"{mode} {n:,} at {limit}/s" for mode, n, limit in casts)
        + f"; journey {plan.participants} at once, {plan.paced} paced ({plan.think:g} s),"
        f" {plan.limited} under Telegram's limits; export and digest of 10,000 x 5;"
        f" load {load()}",
        flush=True,
    )
    began = time.perf_counter()
    table = Table()
    pairs = cluster.pairs_table()
    with Databases(backends) as dbs:
        # At 100/s (or 30/s) the server's limit is the bound, on both: once is enough.
        broadcast.measure(dbs, table, tuple(c for c in casts if c[0] == "free"))
        for _ in range(args.repeat):
            broadcast.measure(dbs, table, tuple(c for c in casts if c[0] == "paid"))
            export.measure(dbs, table)
            digest.measure(dbs, table)
            journey.rate(dbs, table, plan)
        journey.latency(dbs, table, plan)
        journey.against_echo(table, plan)
        if POSTGRESQL in backends and not args.no_cluster:
            cluster.measure(dbs, pairs, rounds=args.repeat)
    if args.all:
        start_roundtrip.main()
        people_first.main()
    print()
    print(table.show())
    if pairs.rows:
        print()
        print(pairs.show())
    print(f"\nbench: done in {(time.perf_counter() - began) / 60:.1f} min")


main()
