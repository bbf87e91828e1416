"""`mooc-bot logins import FILE` and `logins status`: the pool of free MOOC login codes."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.base.clock import SystemClock
from bot.cli.command import Command, Invocation, report
from bot.services.logins_import import import_codes, read_codes
from store import logins
from store.db import Store

__all__ = ["LOGINS"]


def _arguments(parser: argparse.ArgumentParser) -> None:
    verbs = parser.add_subparsers(dest="logins_command", required=True)
    load = verbs.add_parser("import", help="add codes from a CSV file")
    load.add_argument("file", type=Path, help="CSV with a 'code' column")
    verbs.add_parser("status", help="how many codes are left")


def _run(call: Invocation) -> int:
    return asyncio.run(_logins(call))


async def _logins(call: Invocation) -> int:
    args, now = call.args, SystemClock().now()
    if args.logins_command == "import":
        try:
            found = read_codes(args.file)
        except ValueError as exc:
            return report([str(exc)])
    async with Store(call.settings.database_url) as store:
        if args.logins_command == "import":
            done = await import_codes(store, found, now)
            print(
                f"added {done.added} code(s); skipped {done.duplicates} duplicate(s); "
                f"{len(found.bad)} bad row(s)"
            )
            for line in found.bad:
                print(f"  {args.file}: {line}")
            if done.handed:
                print(f"{done.handed} waiting participant(s) get their login within a minute")
        total, free = await logins.total(store), await logins.available(store)
        waiting = len(await logins.waiting(store))
        print(f"{total} code(s) in the pool, {free} free, {waiting} participant(s) waiting for one")
    return 0


LOGINS = Command("the pool of free MOOC login codes", _arguments, _run, opens_database=True)
