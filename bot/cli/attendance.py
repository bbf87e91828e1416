"""`mooc-bot attendance import FILE` and `attendance status`: who attended a session."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.base.clock import SystemClock
from bot.cli.command import Command, Invocation, report
from bot.services.attendance import attendance_session, emails_in, mark_listed, tally
from store.db import Store

__all__ = ["ATTENDANCE"]


def _arguments(parser: argparse.ArgumentParser) -> None:
    verbs = parser.add_subparsers(dest="attendance_command", required=True)
    load = verbs.add_parser(
        "import", help="mark as attended everyone in a meeting tool's participant list"
    )
    load.add_argument("file", type=Path, help="CSV with an e-mail column (Zoom, Teams…)")
    load.add_argument("--session", default="", help="session id (default: the latest)")
    verbs.add_parser("status", help="marked as attended, per session")


def _run(call: Invocation) -> int:
    return asyncio.run(_attendance(call))


async def _attendance(call: Invocation) -> int:
    settings, args, now = call.settings, call.args, SystemClock().now()
    async with Store(settings.database_url) as store:
        if args.attendance_command == "import":
            session = attendance_session(settings.sessions, args.session, now)
            if session is None:
                known = ", ".join(s.id for s in settings.sessions) or "none configured"
                wanted = repr(args.session) if args.session else "that has started"
                return report([f"no session {wanted} (sessions: {known})"])
            try:
                emails = emails_in(args.file)
            except (OSError, UnicodeError) as exc:
                return report([f"{args.file}: cannot be read: {exc}"])
            except ValueError as exc:
                return report([str(exc)])
            listed = await mark_listed(store, session.id, emails, actor_id=None, now=now)
            print(
                f"{session.id}: {len(emails)} e-mail address(es) in {args.file}; marked"
                f" {listed.marked} as attended, {listed.already} already marked,"
                f" {len(listed.unknown)} not registered"
            )
            for email in sorted(listed.unknown):
                print(f"  not registered: {email}")
        for each in await tally(store, settings.sessions):
            print(f"{each.session_id}: {each.attended} of {each.seated} seated marked as attended")
    return 0


ATTENDANCE = Command("who attended a session", _arguments, _run, opens_database=True)
