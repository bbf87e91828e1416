"""The pre-session digest of 10,000 participants × 5 answered questions, every answer
quotable (the worst case: the page quotes them all).

The same database as bench/export.py; a child process (its peak RSS is the
digest's own) times what `mooc-bot digest` does — read everything, count, lay out
the HTML page — against a bare SELECT of the same rows.
"""

from __future__ import annotations

import argparse

from bench.backends import BACKENDS, LABELS, Databases, chosen
from bench.export import BARE, in_child
from bench.table import Table

_CHILD = (
    BARE
    + """
import json, sys, time
from pathlib import Path
from bot.base.settings import load_settings
from bot.cli.facilitator import run_digest
from flows.content import load_content

db, out = sys.argv[1], Path(sys.argv[2])
settings = load_settings(None)
content = load_content(settings.course.languages, settings.course.default_language,
                       root=settings.content_dir)
import jinja2, bot.reports.digest_page  # imported before the clock starts, as in a running bot
began = time.perf_counter()
run_digest(settings, content, out, None)
digest = time.perf_counter() - began
print(json.dumps({"digest": digest, "bare": bare(db), "size": out.stat().st_size,
                  "rss": peak_mb()}))
"""
)


def measure(dbs: Databases, table: Table, people: int = 10_000) -> None:
    """The digest on each backend of `dbs`, SQLite first; figures into `table`."""
    for database in dbs.backends:
        figures = in_child(_CHILD, people, "digest.html", dbs, database)
        print(
            f"digest on {LABELS[database]}: {people} participants x 5 questions, all quotable"
            f" -> {figures['digest']:.2f} s (bare SELECT of the same rows"
            f" {figures['bare']:.3f} s, ratio {figures['digest'] / figures['bare']:.0f}x), page"
            f" {figures['size'] / 1e6:.1f} MB, peak RSS {figures['rss']:.0f} MB",
            flush=True,
        )
        table.add(f"digest {people:,} x 5", "s", database, figures["digest"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--database", choices=(*BACKENDS, "both"), default="both")
    args, _ = parser.parse_known_args()
    table = Table()
    with Databases(chosen(args.database)) as dbs:
        measure(dbs, table, args.people)
    print(table.show())


if __name__ == "__main__":
    main()
