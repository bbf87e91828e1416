"""`mooc-bot`: the table of its commands, and main(), which checks and runs one."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.base.settings import SettingsError, load_settings
from bot.cli import attendance, broadcast, checks, db, facilitator, logins, roles, serve
from bot.cli.command import EXIT_CONFIG, Command, Invocation, report
from bot.cli.content_check import check_content
from bot.shell.startup import StartupError, check_database
from store.errors import StoreError

__all__ = ["COMMANDS", "main", "parser"]

DEFAULT = "run"  # `mooc-bot` alone
# In the order `mooc-bot --help` lists them.
COMMANDS: dict[str, Command] = {
    "run": serve.RUN,
    "sandbox": serve.SANDBOX,
    "check-config": checks.CHECK_CONFIG,
    "check-content": checks.CHECK_CONTENT,
    "logins": logins.LOGINS,
    "outbox": db.OUTBOX,
    "broadcast": broadcast.BROADCAST,
    "roles": roles.ROLES,
    "export": facilitator.EXPORT,
    "stats": facilitator.STATS,
    "digest": facilitator.DIGEST,
    "attendance": attendance.ATTENDANCE,
    "purge": db.PURGE,
    "db": db.DB,
}


def parser() -> argparse.ArgumentParser:
    """The command line: the global options and one sub-command per entry of COMMANDS."""
    top = argparse.ArgumentParser(
        prog="mooc-bot",
        description="Facilitation bot for the MOOC 'The Magic of a Learning Culture'.",
    )
    top.add_argument(
        "--settings",
        type=Path,
        help="settings file (default: $MOOC_BOT_SETTINGS or ./settings.toml)",
    )
    top.set_defaults(strict_content=False)  # `check-content --strict` sets it
    commands = top.add_subparsers(dest="command", metavar="COMMAND")
    for name, command in COMMANDS.items():
        command.add_arguments(commands.add_parser(name, help=command.help))
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings(args.settings)
    except SettingsError as exc:
        return report(exc.lines)
    command = COMMANDS[args.command or DEFAULT]
    # Every command checks the content first: the bot (and its documents) need all of it.
    checked = check_content(
        settings.course.languages,
        settings.course.default_language,
        settings.content_dir,
        sessions=[session.id for session in settings.sessions],
    )
    if checked.errors or (args.strict_content and checked.warnings):
        return report(checked.errors + checked.warnings)
    assert checked.content is not None
    try:
        if command.opens_database:
            check_database(settings.database_path)
        return command.run(Invocation(settings, checked.content, args, checked.warnings))
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except StartupError as exc:
        return report([f"error: {exc}"])
    except KeyboardInterrupt:
        return 0
