"""The pre-session digest of 10,000 participants × 5 answered questions, every answer
quotable (the worst case: the page quotes them all).

The same database as bench/export.py; a child process (its peak RSS is the
digest's own) times what `mooc-bot digest` does — read everything, count, lay out
the HTML page — against a bare SELECT of the same rows.
"""

from __future__ import annotations

import argparse

from bench.export import in_child

_CHILD = """
import json, resource, sqlite3, sys, time
from pathlib import Path
from bot.base.settings import load_settings
from bot.cli.facilitator import run_digest
from flows.content import load_content

db, out = Path(sys.argv[1]), Path(sys.argv[2])
settings = load_settings(None)
content = load_content(settings.course.languages, settings.course.default_language,
                       root=settings.content_dir)
import jinja2, bot.reports.digest_page  # imported before the clock starts, as in a running bot
began = time.perf_counter()
run_digest(settings, content, out, None)
digest = time.perf_counter() - began
began = time.perf_counter()
conn = sqlite3.connect(db)
for table in ("participants", "answers", "registrations"):
    conn.execute(f"SELECT * FROM {table}").fetchall()
bare = time.perf_counter() - began
print(json.dumps({"digest": digest, "bare": bare, "size": out.stat().st_size,
                  "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=10_000)
    args, _ = parser.parse_known_args()
    figures = in_child(_CHILD, args.people, "digest.html")
    print(
        f"digest: {args.people} participants x 5 questions, all quotable ->"
        f" {figures['digest']:.2f} s (bare SELECT of the same rows {figures['bare']:.3f} s,"
        f" ratio {figures['digest'] / figures['bare']:.0f}x), page"
        f" {figures['size'] / 1e6:.1f} MB, peak RSS {figures['rss']:.0f} MB"
    )


if __name__ == "__main__":
    main()
