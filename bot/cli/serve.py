"""`mooc-bot run` and `mooc-bot sandbox`: the bot against Telegram, or the local sandbox."""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
from pathlib import Path

from bot.base.settings import Settings
from bot.cli.command import Command, Invocation, print_warnings, report
from bot.shell.app import build_application
from bot.shell.logs import setup_logging
from bot.shell.serve import serve
from bot.shell.startup import GIVE_UP_AFTER, StartupError
from flows.content import Content
from store.db import Store

__all__ = ["RUN", "SANDBOX"]

SANDBOX_DATA = Path("sandbox-data")


def _seconds(text: str) -> float:
    """A number of seconds, 0 or more: nan or inf would mean never giving up."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds (got {text!r})")
    return value


def _run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--give-up-after",
        type=_seconds,
        default=GIVE_UP_AFTER,
        metavar="SECONDS",
        help=f"keep trying to reach the Bot API at start this long (default {GIVE_UP_AFTER:g})",
    )


def _sandbox_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, default=SANDBOX_DATA, help="sandbox folder")


def _run(call: Invocation) -> int:
    """`run` (also `mooc-bot` alone): Telegram with a token, the sandbox without one."""
    settings = call.settings
    if settings.has_token:
        return _against_telegram(
            settings, call.content, getattr(call.args, "give_up_after", GIVE_UP_AFTER)
        )
    print_warnings(settings)
    if "INVOCATION_ID" in os.environ:
        # Started by systemd (which sets INVOCATION_ID): a service, not a terminal.
        return report(["MOOC_BOT_TOKEN is not set: a service needs the bot's token."])
    return _sandbox_of(settings, call.args)


def _sandbox(call: Invocation) -> int:
    print_warnings(call.settings)
    return _sandbox_of(call.settings, call.args)


def _sandbox_of(settings: Settings, args: argparse.Namespace) -> int:
    from bot.sandbox.terminal import run_sandbox  # the sandbox only when it runs

    asyncio.run(run_sandbox(settings, getattr(args, "data", SANDBOX_DATA)))
    return 0


def _against_telegram(settings: Settings, content: Content, give_up_after: float) -> int:
    """Run against Telegram (or MOOC_BOT_API_URL) until stopped."""
    assert settings.token is not None
    if settings.unshared_webhook is not None:  # a start-up problem, as the database's
        return report([settings.unshared_webhook])
    secrets = [settings.token.get_secret_value()]
    if settings.bot.webhook_secret is not None:
        secrets.append(settings.bot.webhook_secret.get_secret_value())
    setup_logging(settings.logging.level, secrets)
    for warning in settings.warnings:
        logging.getLogger(__name__).warning("%s", warning)
    application = build_application(settings, Store(settings.database_url), content=content)
    try:
        asyncio.run(serve(application, settings, give_up_after=give_up_after))
    except StartupError as exc:  # the database, the Bot API, the port: one line
        return report([str(exc)])
    return 0


RUN = Command(
    "run the bot (the local sandbox when MOOC_BOT_TOKEN is not set)", _run_arguments, _run
)
SANDBOX = Command(
    "local Telegram + the bot + a chat in this terminal", _sandbox_arguments, _sandbox
)
