"""The database's commands: `mooc-bot db backup`, `db copy`, `outbox` (what is owed), `purge`.

`db copy --to postgresql://…` moves the SQLite database, every row, into an empty
PostgreSQL one and compares the counts (store/copy.py); stop the bot first.

`purge` applies `[privacy] delete_after_days`; the waitlist moves up as it does
after /forget, and the running bot sends whoever moved up their news (the outbox).
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from tqdm import tqdm

from bot.base.clock import SystemClock
from bot.base.settings import Settings
from bot.cli.command import Command, Invocation, no_arguments
from bot.services.dispatcher import Dispatcher
from bot.services.privacy import due_for_deletion, purge
from bot.services.registration import Desk
from bot.services.reminders import Reminders
from flows.content import Content
from store import inbox, outbox
from store.copy import CopyReport, copy, plan
from store.db import Store
from store.errors import StoreError
from store.inbox import InboxStatus
from store.link import Target
from store.outbox import OutboxStatus
from store.sqlite import backup

__all__ = ["DB", "OUTBOX", "PURGE", "run_purge", "show_outbox"]


def _db_arguments(parser: argparse.ArgumentParser) -> None:
    verbs = parser.add_subparsers(dest="db_command", metavar="DB_COMMAND", required=True)
    copy = verbs.add_parser("backup", help="online backup, safe while the bot runs")
    copy.add_argument("path", type=Path, help="file to write the backup to")
    move = verbs.add_parser("copy", help="copy the SQLite database into an empty PostgreSQL one")
    move.add_argument(
        "--to", required=True, metavar="URL", help="postgresql://user@host/db (stop the bot first)"
    )


def _db(call: Invocation) -> int:
    if call.args.db_command == "copy":
        return asyncio.run(copy_to(call.settings, call.args.to))
    source = call.settings.database_path
    if source is None:
        raise StoreError(
            "db backup copies a SQLite file; back up PostgreSQL with pg_dump or your "
            "provider's backups (docs/deploy.md)"
        )
    backup(source, call.args.path)  # only reads: the bot may run
    print(f"backed up {source} to {call.args.path}")
    return 0


async def copy_to(settings: Settings, url: str) -> int:
    """The configured SQLite database, copied into the empty PostgreSQL one at `url`."""
    source = settings.database_path
    if source is None:
        configured = Target.of(settings.database_url)
        raise StoreError(f"db copy reads a SQLite file; the configured database is {configured}")
    if not source.is_file():
        raise StoreError(f"{source}: no database there")
    target = Target.of(url)
    if target.dialect != "postgresql":
        raise StoreError(f"{target}: db copy writes to PostgreSQL (postgresql://user@host/db)")
    async with Store(source) as lite, Store(url) as pg:
        sizes = await plan(lite, pg)  # refused before anything is written
        with tqdm(total=sum(sizes.values()), unit="row", desc="copy", disable=None) as bar:
            report = await copy(lite, pg, progress=lambda _table, rows: bar.update(rows))
    _print_copied(report, str(source), str(target))
    return 0


def _print_copied(report: CopyReport, source: str, target: str) -> None:
    for table in report.tables:
        print(f"{table.table}: {table.target:,} {'row' if table.target == 1 else 'rows'}")
    print(
        f"copied {report.rows:,} rows in {len(report.tables)} tables from {source} to {target}"
        f" (schema version {report.version}); the counts match"
    )


async def show_outbox(settings: Settings) -> None:
    """Per kind, the rows in each status; what waits for a chat; the inbox's parked updates."""
    columns = [s for s in OutboxStatus if s is not OutboxStatus.SENDING] + [OutboxStatus.SENDING]
    async with Store(settings.database_url) as store:
        table = await outbox.counts_by_kind(store)
        upcoming = await outbox.next_due(store)
        way_in = await inbox.counts(store)
        parked = await inbox.parked(store)
        waiting = await outbox.waiting_for_chat(store)
    print(f"{'kind':<10}" + "".join(f"{status.value:>11}" for status in columns))
    for kind, counts in table.items():
        print(f"{kind:<10}" + "".join(f"{counts.get(status, 0):>11}" for status in columns))
    if not table:
        print("(nothing queued yet)")
    print(f"next due: {upcoming.isoformat() if upcoming else '—'}")
    for row in waiting:  # Telegram lets no bot write first: these wait for a /start
        print(f"  {row.kind} for {row.participant_id} waits until they write to the bot (/start)")
    print(
        "inbox: " + ", ".join(f"{way_in.get(status, 0)} {status.value}" for status in InboxStatus)
    )
    for item in parked:  # updates whose handler kept failing (docs/deploy.md)
        when = f"{item.received_at:%Y-%m-%d %H:%M}"
        print(f"  parked update {item.update_id} ({when} UTC): {item.last_error}")


def _outbox(call: Invocation) -> int:
    asyncio.run(show_outbox(call.settings))
    return 0


def _purge_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="only count who would be deleted")


async def run_purge(settings: Settings, content: Content, dry_run: bool) -> int:
    days = settings.privacy.delete_after_days
    if days is None:
        print("[privacy] delete_after_days is not set: nothing is deleted on a schedule")
        return 0
    now = SystemClock().now()
    async with Store(settings.database_url) as store:
        if dry_run:
            due = await due_for_deletion(store, settings, now)
            print(f"{len(due)} participant(s) would be deleted ({days} days after their session)")
            return 0
        desk = Desk(settings, store, content, Dispatcher(None, store, SystemClock()))
        reminders = Reminders(desk)
        desk.on_seated.append(reminders.schedule)
        desk.on_unseated.append(reminders.cancel)
        deleted = await purge(desk, settings, now)
    print(f"deleted {deleted} participant(s) ({days} days after their session)")
    return 0


def _purge(call: Invocation) -> int:
    return asyncio.run(run_purge(call.settings, call.content, call.args.dry_run))


DB = Command("database tools", _db_arguments, _db)
OUTBOX = Command(
    "messages owed: pending, sent, failed, missed, per kind",
    no_arguments,
    _outbox,
    opens_database=True,
)
PURGE = Command("apply [privacy] delete_after_days", _purge_arguments, _purge, opens_database=True)
