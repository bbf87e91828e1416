"""Export of 10,000 participants × 5 answered questions (with registrations; one in
five edited two answers, so the export shows their history).

A fresh database is generated, then a child process (so its peak RSS is the
export's own) times what `mooc-bot export` does — read everything, write
answers.xlsx and answers.csv — against a bare SELECT of the same rows (with the
driver alone: sqlite3, or asyncpg on PostgreSQL). Target: under 3 s and under 200 MB.
On each backend asked for (`--database sqlite|postgresql|both`), a fresh database each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.backends import BACKENDS, LABELS, Databases, chosen
from bench.table import Table
from store.db import Store, to_db

ROOT = Path(__file__).resolve().parent.parent
SESSION = "session-1"
CAPACITY = 6000
WORDS = (
    "In our team we learn on the job when someone takes the time to ask why; "
    "a learning culture needs care, facilitation and inspiration — día a día. "
)
STEPS = (
    ("q1", "q1", "yes"),
    ("q1why", "q1", WORDS),
    ("q2", "q2", "partly"),
    ("q2why", "q2", WORDS),
    ("q3", "q3", "mixed"),
    ("q3why", "q3", WORDS),
    ("q4", "q4", "=" + WORDS),
    ("q5", "q5", WORDS),
)


async def seed(db: Path | str, people: int) -> None:
    """`people` participants, each with all five questions answered and a registration."""
    start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    async with Store(db) as store, store.transaction() as tx:
        ids = [7_000_000 + i for i in range(people)]
        await tx.execute_many(
            "INSERT INTO participants (telegram_id, chat_id, first_name, last_name, username,"
            " language, joined_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    pid,
                    pid,
                    f"Person {i}",
                    "Ålström",
                    None,
                    "en" if i % 3 else "nl",
                    to_db(start + timedelta(seconds=i)),
                    to_db(start + timedelta(seconds=i)),
                )
                for i, pid in enumerate(ids)
            ],
        )
        await tx.execute_many(
            "INSERT INTO answers (participant_id, flow_id, step_id, question, value, version,"
            " answered_at) VALUES (?, 'reflection', ?, ?, ?, 1, ?)",
            [
                (
                    pid,
                    step,
                    question,
                    f"{value} #{i}" if len(value) > 10 else value,
                    to_db(start + timedelta(seconds=i, milliseconds=n)),
                )
                for i, pid in enumerate(ids)
                for n, (step, question, value) in enumerate(STEPS)
            ],
        )
        # One in five changed two answers later (/myanswers): the export shows both versions.
        await tx.execute_many(
            "INSERT INTO answers (participant_id, flow_id, step_id, question, value, version,"
            " answered_at) VALUES (?, 'reflection', ?, ?, ?, 2, ?)",
            [
                (pid, step, question, f"On second thought: {WORDS} #{i}", to_db(edited))
                for i, pid in enumerate(ids)
                if i % 5 == 0
                for step, question in (("q1why", "q1"), ("q5", "q5"))
                for edited in (start + timedelta(days=1, seconds=i),)
            ],
        )
        await tx.execute_many(
            "INSERT INTO registrations (participant_id, session_id, status, name, email,"
            " organisation, role, knows, consent_at, created_at, updated_at, queued_at)"
            " VALUES (?, ?, ?, ?, ?, 'An organisation', 'A role', 'practice', ?, ?, ?, ?)",
            [
                (
                    pid,
                    SESSION,
                    "registered" if i < CAPACITY else "waitlisted",
                    f"Person {i}",
                    f"person{i}@example.org",
                    *[to_db(start + timedelta(seconds=i))] * 4,
                )
                for i, pid in enumerate(ids)
            ],
        )


# The bare SELECT of everything the export reads, with the driver alone (child code).
BARE = """
def bare(db):
    import time
    began = time.perf_counter()
    if db.startswith("postgresql:"):
        import asyncio, asyncpg
        async def read():
            conn = await asyncpg.connect(db)
            for table in ("participants", "answers", "registrations"):
                await conn.fetch(f"SELECT * FROM {table}")
            await conn.close()
        asyncio.run(read())
    else:
        import sqlite3
        conn = sqlite3.connect(db)
        for table in ("participants", "answers", "registrations"):
            conn.execute(f"SELECT * FROM {table}").fetchall()
    return time.perf_counter() - began

def peak_mb():
    # VmHWM, not ru_maxrss: that one keeps the bench's own peak across fork and exec.
    status = open("/proc/self/status").read()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024
"""

# The child: the export as the command line does it, then the bare SELECT, timed apart.
_CHILD = (
    BARE
    + """
import json, sys, time
from pathlib import Path
from bot.base.settings import load_settings
from bot.cli.facilitator import run_export
from flows.content import load_content

db, out = sys.argv[1], Path(sys.argv[2])
settings = load_settings(None)
content = load_content(settings.course.languages, settings.course.default_language,
                       root=settings.content_dir)
import rustpy_xlsxwriter, bot.reports.export  # imported before the clock starts
began = time.perf_counter()
run_export(settings, content, out, False)
export = time.perf_counter() - began
print(json.dumps({"export": export, "bare": bare(db),
                  "rss": peak_mb(),
                  "xlsx": (out / "answers.xlsx").stat().st_size}))
"""
)


def in_child(
    child: str, people: int, out: str, dbs: Databases | None = None, database: str = "sqlite"
) -> dict[str, float]:
    """Seed `people` into a fresh database, run `child` (Python: argv = database, output
    path) in a process of its own, and return the JSON its last line prints."""
    dbs = dbs or Databases([database])
    with dbs.fresh_sync(database) as db, tempfile.TemporaryDirectory() as folder:
        asyncio.run(seed(db, people))
        done = subprocess.run(
            [sys.executable, "-c", child, db, str(Path(folder) / out)],
            cwd=ROOT,
            env={"MOOC_BOT_DB": db, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode:
        raise RuntimeError(f"the bench's child failed ({done.returncode}):\n{done.stderr}")
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def measure(dbs: Databases, table: Table, people: int = 10_000) -> None:
    """The export on each backend of `dbs`, SQLite first; figures into `table`."""
    for database in dbs.backends:
        figures = in_child(_CHILD, people, "out", dbs, database)
        print(
            f"export on {LABELS[database]}: {people} participants x 5 questions ->"
            f" {figures['export']:.2f} s (bare SELECT of the same rows {figures['bare']:.3f} s,"
            f" ratio {figures['export'] / figures['bare']:.0f}x), xlsx"
            f" {figures['xlsx'] / 1e6:.1f} MB, peak RSS {figures['rss']:.0f} MB",
            flush=True,
        )
        table.add(f"export {people:,} x 5", "s", database, figures["export"])
        table.add(f"export {people:,} x 5: bare SELECT", "s", database, figures["bare"])


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
