"""`mooc-bot`: every command of the facilitation bot."""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.base.clock import SystemClock
from bot.base.settings import Settings, SettingsError, load_settings
from bot.cli.broadcast import AUDIENCES, run_broadcast
from bot.cli.content_check import check_content
from bot.cli.facilitator import run_digest, run_export, run_purge, run_stats
from bot.services.followup import attendance_session, emails_in
from bot.services.logins_import import read_codes
from bot.services.registration import hand_out_waiting_logins
from bot.shell.app import build_application
from bot.shell.logs import setup_logging
from bot.shell.serve import GIVE_UP_AFTER, StartupError, check_database, serve
from flows.content import Content
from store import audit, inbox, logins, outbox, registrations
from store import roles as role_store
from store.db import Store, StoreError, backup
from store.inbox import InboxStatus
from store.outbox import OutboxStatus
from store.registrations import RegistrationStatus
from store.roles import Role

__all__ = ["main"]

EXIT_CONFIG = 2
# The commands that open the database (`run` checks it in serve; `db backup` only reads).
OPEN_THE_DATABASE = frozenset(
    ("broadcast", "roles", "attendance", "outbox", "logins", "export", "digest", "stats", "purge")
)


def _seconds(text: str) -> float:
    """A number of seconds, 0 or more: nan or inf would mean never giving up."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds (got {text!r})")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mooc-bot",
        description="Facilitation bot for the MOOC 'The Magic of a Learning Culture'.",
    )
    parser.add_argument(
        "--settings",
        type=Path,
        help="settings file (default: $MOOC_BOT_SETTINGS or ./settings.toml)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser(
        "run", help="run the bot (the local sandbox when MOOC_BOT_TOKEN is not set)"
    )
    run.add_argument(
        "--give-up-after",
        type=_seconds,
        default=GIVE_UP_AFTER,
        metavar="SECONDS",
        help=f"keep trying to reach the Bot API at start this long (default {GIVE_UP_AFTER:g})",
    )
    sandbox = commands.add_parser(
        "sandbox", help="local Telegram + the bot + a chat in this terminal"
    )
    sandbox.add_argument("--data", type=Path, default=Path("sandbox-data"), help="sandbox folder")
    commands.add_parser("check-config", help="check the settings and exit (status 2 on problems)")
    check = commands.add_parser(
        "check-content", help="check every content file (status 2 on errors)"
    )
    check.add_argument("--strict", action="store_true", help="missing translations are errors too")
    login_parser = commands.add_parser("logins", help="the pool of free MOOC login codes")
    login_commands = login_parser.add_subparsers(dest="logins_command", required=True)
    login_import = login_commands.add_parser("import", help="add codes from a CSV file")
    login_import.add_argument("file", type=Path, help="CSV with a 'code' column")
    login_commands.add_parser("status", help="how many codes are left")
    commands.add_parser("outbox", help="messages owed: pending, sent, failed, missed, per kind")
    send = commands.add_parser("broadcast", help="send a message to an audience (the bot delivers)")
    send.add_argument("--audience", required=True, help=f"{', '.join(AUDIENCES)} or session_<id>")
    send.add_argument("--text-file", type=Path, required=True, help="the message, Telegram HTML")
    send.add_argument("--text-file-nl", type=Path, help="the Dutch version, if any")
    send.add_argument("--at", help="'tomorrow 09:00', 'today 17:00' or '2027-01-20 09:00'")
    send.add_argument("--button", help="one link button: 'Label | https://…'")
    send.add_argument("--dry-run", action="store_true", help="count the recipients, queue nothing")
    send.add_argument("--no-wait", action="store_true", help="queue it and return at once")
    role_parser = commands.add_parser("roles", help="organisers and facilitators")
    role_commands = role_parser.add_subparsers(dest="roles_command", required=True)
    for verb in ("grant", "revoke"):
        change = role_commands.add_parser(verb, help=f"{verb} a role")
        change.add_argument("role", choices=[role.value for role in Role])
        change.add_argument("telegram_id", type=int, help="the person's Telegram user id")
    role_commands.add_parser("list", help="who has which role (settings and granted)")
    export = commands.add_parser("export", help="answers.xlsx and answers.csv into a folder")
    export.add_argument("--out", type=Path, required=True, help="the folder to write them to")
    export.add_argument("--anonymise", action="store_true", help='"Participant 17", no contacts')
    stats = commands.add_parser("stats", help="the funnel from /start to five answers")
    stats.add_argument("--chart", type=Path, help="also draw it into this PNG file")
    digest = commands.add_parser("digest", help="the pre-session digest as an HTML file")
    digest.add_argument("--out", type=Path, required=True, help="the HTML file to write")
    digest.add_argument("--session", help="a session id (default: everyone)")
    attend = commands.add_parser("attendance", help="who attended a session")
    attend_commands = attend.add_subparsers(dest="attendance_command", required=True)
    attend_import = attend_commands.add_parser(
        "import", help="mark as attended everyone in a meeting tool's participant list"
    )
    attend_import.add_argument("file", type=Path, help="CSV with an e-mail column (Zoom, Teams…)")
    attend_import.add_argument("--session", default="", help="session id (default: the latest)")
    attend_commands.add_parser("status", help="marked as attended, per session")
    purge = commands.add_parser("purge", help="apply [privacy] delete_after_days")
    purge.add_argument("--dry-run", action="store_true", help="only count who would be deleted")
    db = commands.add_parser("db", help="database tools")
    db_commands = db.add_subparsers(dest="db_command", metavar="DB_COMMAND", required=True)
    db_backup = db_commands.add_parser("backup", help="online backup, safe while the bot runs")
    db_backup.add_argument("path", type=Path, help="file to write the backup to")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(args.settings)
    except SettingsError as exc:
        return _report(exc.lines)
    command = args.command or "run"
    report = check_content(
        settings.course.languages, settings.course.default_language, settings.content_dir
    )
    strict = command == "check-content" and args.strict
    if report.errors or (strict and report.warnings):
        return _report(report.errors + report.warnings)
    content = report.content
    assert content is not None
    if command in ("check-config", "sandbox") or (command == "run" and not settings.has_token):
        for warning in settings.warnings:  # works, but probably not what was meant
            print(warning, file=sys.stderr)
    try:
        if command in OPEN_THE_DATABASE:
            # Before the store opens: aiosqlite's failed connect leaves its thread to
            # report to a closed event loop ("Event loop is closed" tracebacks).
            check_database(settings.database_path)
        if command == "check-config":
            print(
                f"{settings.settings}: OK ({len(settings.sessions)} session(s), "
                f"languages {', '.join(content.languages)})"
            )
            return 0
        if command == "check-content":
            for warning in report.warnings:
                print(f"warning: {warning}", file=sys.stderr)
            sections = sum(len(c.sections) for c in content.courses.values())
            cards = sum(len(s.cards) for c in content.courses.values() for s in c.sections)
            print(
                f"{settings.content_dir}: OK ({', '.join(content.languages)}; "
                f"{sections} sections, {cards} cards)"
            )
            return 0
        if command == "broadcast":
            return asyncio.run(
                run_broadcast(
                    settings,
                    content,
                    audience=args.audience,
                    text_file=args.text_file,
                    text_file_nl=args.text_file_nl,
                    at=args.at,
                    button=args.button,
                    dry_run=args.dry_run,
                    wait=not args.no_wait,
                )
            )
        if command == "roles":
            return asyncio.run(_roles(settings, args))
        if command == "attendance":
            return asyncio.run(_attendance(settings, args))
        if command == "outbox":
            return asyncio.run(_outbox(settings))
        if command == "logins":
            return asyncio.run(_logins(settings, args))
        if command == "export":
            return run_export(settings, content, args.out, args.anonymise)
        if command == "digest":
            return run_digest(settings, content, args.out, args.session)
        if command == "stats":
            return run_stats(settings, content, args.chart)
        if command == "purge":
            return asyncio.run(run_purge(settings, content, args.dry_run))
        if command == "db":
            backup(settings.database_path, args.path)
            print(f"backed up {settings.database_path} to {args.path}")
            return 0
        if command == "run" and not settings.has_token and "INVOCATION_ID" in os.environ:
            # Started by systemd (which sets INVOCATION_ID): a service, not a terminal.
            return _report(["MOOC_BOT_TOKEN is not set: a service needs the bot's token."])
        if command == "sandbox" or not settings.has_token:
            from bot.sandbox.terminal import run_sandbox

            asyncio.run(run_sandbox(settings, getattr(args, "data", Path("sandbox-data"))))
            return 0
        return _run(settings, content, getattr(args, "give_up_after", GIVE_UP_AFTER))
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except StartupError as exc:
        return _report([f"error: {exc}"])
    except KeyboardInterrupt:
        return 0


async def _roles(settings: Settings, args: argparse.Namespace) -> int:
    now = SystemClock().now()
    async with Store(settings.database_path) as store:
        if args.roles_command == "list":
            for role, ids in (
                (Role.ORGANISER, settings.roles.organisers),
                (Role.FACILITATOR, settings.roles.facilitators),
            ):
                for telegram_id in ids:
                    print(f"{role.value:<12} {telegram_id:>14}  (settings.toml)")
            for grant in await role_store.grants(store):
                by = {None: "the command line", 0: "someone since forgotten"}.get(
                    grant.granted_by, grant.granted_by
                )
                print(f"{grant.role.value:<12} {grant.telegram_id:>14}  (granted by {by})")
            return 0
        role = Role(args.role)
        detail: dict[str, object] = {"role": role.value, "telegram_id": args.telegram_id}
        voided = 0
        async with store.turn():  # the change and its audit row, together
            if args.roles_command == "grant":
                changed = await role_store.grant(store, args.telegram_id, role, None, now)
            else:
                makers = settings.roles.organisers
                revocation = await role_store.revoke(
                    store, args.telegram_id, role, now, makers=makers
                )
                changed, voided = revocation.revoked, revocation.voided
                detail["invites_voided"] = voided
            await audit.record(
                store, actor_id=None, action=f"role.{args.roles_command}", now=now, detail=detail
            )
        state = "done" if changed else "nothing to change"
        print(f"{args.roles_command} {role.value} {args.telegram_id}: {state}")
        if voided:
            print(f"{voided} unused invite(s) they made no longer work")
        print("The bot updates command menus at its next start.")
    return 0


async def _outbox(settings: Settings) -> int:
    columns = [s for s in OutboxStatus if s is not OutboxStatus.SENDING] + [OutboxStatus.SENDING]
    async with Store(settings.database_path) as store:
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
    return 0


async def _logins(settings: Settings, args: argparse.Namespace) -> int:
    now = SystemClock().now()
    if args.logins_command == "import":
        try:
            found = read_codes(args.file)
        except ValueError as exc:
            return _report([str(exc)])
    async with Store(settings.database_path) as store:
        if args.logins_command == "import":
            added, duplicates = await logins.add_codes(store, found.codes, now)
            handed = await hand_out_waiting_logins(store, now)
            print(
                f"added {added} code(s); skipped {duplicates + found.repeated} duplicate(s); "
                f"{len(found.bad)} bad row(s)"
            )
            for line in found.bad:
                print(f"  {args.file}: {line}")
            if handed:
                print(f"{handed} waiting participant(s) get their login within a minute")
        total, free = await logins.total(store), await logins.available(store)
        waiting = len(await logins.waiting(store))
        print(f"{total} code(s) in the pool, {free} free, {waiting} participant(s) waiting for one")
    return 0


async def _attendance(settings: Settings, args: argparse.Namespace) -> int:
    now = SystemClock().now()
    async with Store(settings.database_path) as store:
        if args.attendance_command == "import":
            session = attendance_session(settings.sessions, args.session, now)
            if session is None:
                known = ", ".join(s.id for s in settings.sessions) or "none configured"
                wanted = repr(args.session) if args.session else "that has started"
                return _report([f"no session {wanted} (sessions: {known})"])
            try:
                emails = emails_in(args.file)
            except (OSError, UnicodeError) as exc:
                return _report([f"{args.file}: cannot be read: {exc}"])
            except ValueError as exc:
                return _report([str(exc)])
            marked, already, unknown = await registrations.mark_attended(
                store, session.id, emails, now
            )
            await audit.record(
                store,
                actor_id=None,
                action="attendance.imported",
                now=now,
                detail={"session": session.id},
                recipients=marked,
            )
            print(
                f"{session.id}: {len(emails)} e-mail address(es) in {args.file}; marked {marked}"
                f" as attended, {already} already marked, {len(unknown)} not registered"
            )
            for email in sorted(unknown):
                print(f"  not registered: {email}")
        for session in settings.sessions:
            counts = await registrations.counts(store, session.id)
            attended = counts.get(RegistrationStatus.ATTENDED, 0)
            seated = attended + counts.get(RegistrationStatus.REGISTERED, 0)
            print(f"{session.id}: {attended} of {seated} seated marked as attended")
    return 0


def _report(lines: list[str]) -> int:
    for line in lines:
        print(line, file=sys.stderr)
    return EXIT_CONFIG


def _run(settings: Settings, content: Content, give_up_after: float) -> int:
    """Run against Telegram (or MOOC_BOT_API_URL) until stopped."""
    assert settings.token is not None
    secrets = [settings.token.get_secret_value()]
    if settings.bot.webhook_secret is not None:
        secrets.append(settings.bot.webhook_secret.get_secret_value())
    setup_logging(settings.logging.level, secrets)
    for warning in settings.warnings:
        logging.getLogger(__name__).warning("%s", warning)
    application = build_application(settings, Store(settings.database_path), content=content)
    try:
        asyncio.run(serve(application, settings, give_up_after=give_up_after))
    except StartupError as exc:  # the database, the Bot API, the port: one line
        return _report([str(exc)])
    return 0
