"""Start-up problems as one line each: a database that cannot be written, a token the
Bot API refuses, a Bot API that cannot be reached (tried again 1, 2, 4 … 60 s apart for
`give_up_after` seconds first). The CLI prints the `StartupError` and exits with status 2.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import stat
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.shell.context import BotApp
from bot.shell.http import why

__all__ = ["GIVE_UP_AFTER", "StartupError", "check_database", "reach_bot_api"]

log = logging.getLogger(__name__)
GIVE_UP_AFTER = 300.0  # seconds of trying to reach the Bot API at start (run --give-up-after)
LONGEST_WAIT = 60.0  # seconds between two tries, at most


class StartupError(Exception):
    """The bot cannot start; the message is the one line an operator reads."""


def check_database(path: Path | None) -> None:
    """Refuse to start on a SQLite file the bot could not write, in one line (None:
    PostgreSQL, whose trouble the first connection reports, or in memory)."""
    if path is None or str(path) == ":memory:":
        return
    problem = _database_problem(path)
    if problem is not None:
        raise StartupError(f"database: {path}: {problem}")


def _database_problem(path: Path) -> str | None:
    try:
        try:
            mode = path.stat().st_mode  # follows links: a loop of them raises ELOOP
        except FileNotFoundError:
            mode = None
        if mode is not None and stat.S_ISDIR(mode):
            return "is a directory"
        if mode is not None and not stat.S_ISREG(mode):  # a FIFO, a device, a socket
            return "is not a regular file"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)  # as Store.open would
        except FileExistsError:  # a file stands where the folder should be
            return f"cannot be written ({os.strerror(errno.ENOTDIR)})"
        # Tried rather than asked (os.access answers for the real user id and by the
        # permission bits): SQLite creates the file and, in WAL mode, two beside it.
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}-"):
            pass
        if path.exists():
            with path.open("r+b"):
                pass
    except OSError as exc:
        return f"cannot be written ({exc.strerror or exc})"
    return None


async def reach_bot_api(
    application: BotApp, url: str, give_up_after: float, stop: asyncio.Event
) -> bool:
    """Initialise the application (PTB asks getMe), trying again with growing waits
    while the Bot API cannot be reached; False if `stop` was set meanwhile."""
    deadline = time.monotonic() + give_up_after
    wait, last = 1.0, False
    while True:
        try:
            await application.initialize()
            return True
        except InvalidToken as exc:
            await application.bot.shutdown()
            # PTB's own message quotes the token; the Bot API's description does not.
            said = exc.__cause__.message if isinstance(exc.__cause__, TelegramError) else ""
            raise StartupError(
                f"Bot API at {url} refused the token ({said or 'Unauthorized'}): "
                "check MOOC_BOT_TOKEN"
            ) from None
        except RetryAfter as exc:
            reason = "too many requests"
            after = exc.retry_after
            wait = max(wait, after.total_seconds() if isinstance(after, timedelta) else after)
        except NetworkError as exc:  # no connection, a timeout, a 5xx
            reason = why(exc)
        except TelegramError as exc:
            await application.bot.shutdown()
            raise StartupError(f"Bot API at {url} refused getMe ({exc.message})") from None
        left = deadline - time.monotonic()
        if last or left <= 0:
            await application.bot.shutdown()  # the HTTP sessions its first try opened
            raise StartupError(
                f"Bot API at {url} cannot be reached ({reason}); gave up after {give_up_after:g} s"
            )
        pause = min(wait, left)
        last = pause == left  # the try at the deadline is the last one
        log.warning(
            "Bot API at %s cannot be reached (%s); trying again in %s s",
            url,
            reason,
            f"{round(pause, 1):g}",
        )
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(pause):
                await stop.wait()
        if stop.is_set():
            await application.bot.shutdown()
            return False
        wait = min(2 * wait, LONGEST_WAIT)
