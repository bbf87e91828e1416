"""Running for real: long polling or a webhook, until SIGTERM or SIGINT.

Webhook mode serves two paths with aiohttp (already the bot's HTTP client):
  POST <path of webhook_url>  updates from Telegram; a request without the right
                              X-Telegram-Bot-Api-Secret-Token header is refused (403)
                              and logged, the update never reaches a handler
  GET  /health                200 and a JSON status while the database answers, else 503

A stop signal is handled the same way in both modes: no more updates are taken
(polling stops, the web server closes), updates already taken are handled, the
outbox job finishes the row in hand and records it, then the database is closed.

Before any of that, start-up problems become one `StartupError` line each (the CLI
prints it and exits with status 2): a database that cannot be written, a token the
Bot API refuses, a port already taken, and a Bot API that cannot be reached, which is
tried again (1, 2, 4 … 60 s apart) for `give_up_after` seconds first.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hmac
import json
import logging
import os
import secrets
import signal
import stat
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from aiohttp import web
from telegram import Update
from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.base.settings import BotMode, Settings
from bot.shell.app import on_start, on_stop, running, stop_handling
from bot.shell.context import BotApp
from bot.shell.http import why
from bot.shell.logs import event
from bot.shell.update_json import MAX_DEPTH, problem
from store import outbox

__all__ = [
    "GIVE_UP_AFTER",
    "SECRET_HEADER",
    "BadUpdate",
    "StartupError",
    "check_database",
    "reach_bot_api",
    "read_update",
    "serve",
    "webhook",
]

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
POLL_TIMEOUT = 10
GIVE_UP_AFTER = 300.0  # seconds of trying to reach the Bot API at start (run --give-up-after)
LONGEST_WAIT = 60.0  # seconds between two tries, at most
# Telegram's updates are a few kilobytes and nest about a dozen deep (bot.shell.update_json).
MAX_UPDATE_BYTES = 1024 * 1024
MAX_UPDATE_DEPTH = MAX_DEPTH


class StartupError(Exception):
    """The bot cannot start; the message is the one line an operator reads."""


async def serve(
    application: BotApp, settings: Settings, *, give_up_after: float = GIVE_UP_AFTER
) -> None:
    """Run until SIGTERM or SIGINT, then stop gracefully; StartupError if it cannot start."""
    check_database(settings.database_path)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, _stopper(stop, number))
    mode = settings.bot.mode
    began = time.monotonic()
    reached = await reach_bot_api(application, settings.api_url, give_up_after, stop)
    if reached and mode is BotMode.POLLING:
        async with running(application, poll_timeout=POLL_TIMEOUT):
            event(log, "started", mode=mode.value)
            await stop.wait()
    elif reached:  # else a stop signal came while it was still trying
        async with webhook(application, settings):
            event(log, "started", mode=mode.value, url=settings.bot.webhook_url)
            await stop.wait()
    event(log, "stopped", mode=mode.value, ran_s=round(time.monotonic() - began))


def check_database(path: Path) -> None:
    """Refuse to start on a database the bot could not write, in one line."""
    if str(path) == ":memory:":
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


def _stopper(stop: asyncio.Event, number: signal.Signals) -> Any:
    def handle() -> None:
        if not stop.is_set():
            event(log, "stopping", signal=number.name)
        stop.set()

    return handle


@asynccontextmanager
async def webhook(application: BotApp, settings: Settings) -> AsyncIterator[web.AppRunner]:
    """The bot taking updates on its own web server (as Telegram's setWebhook asks)."""
    configured = settings.bot.webhook_secret
    # Without a configured secret, one is made for this run: every request is checked.
    secret = configured.get_secret_value() if configured else secrets.token_urlsafe(32)
    path = "/" + urlparse(settings.bot.webhook_url).path.lstrip("/")
    host, _, port = settings.bot.listen.rpartition(":")
    await application.initialize()
    try:
        await on_start(application)
        await application.start()
        runner = web.AppRunner(_web_app(application, path, secret), access_log=None)
        await runner.setup()
        try:
            try:
                await web.TCPSite(runner, host, int(port)).start()
            except OSError as exc:
                reason = os.strerror(exc.errno) if exc.errno else str(exc)
                listen = settings.bot.listen
                raise StartupError(f"webhook: cannot listen on {listen} ({reason})") from None
            await application.bot.set_webhook(
                settings.bot.webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES
            )
            yield runner
        finally:
            await runner.cleanup()  # no more updates taken; those taken are in the inbox
            await stop_handling(application)
    finally:
        await application.shutdown()
        await on_stop(application)


def _web_app(application: BotApp, path: str, secret: str) -> web.Application:
    started = time.monotonic()

    async def take(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            event(
                log,
                "webhook_refused",
                logging.WARNING,
                remote=request.remote or "-",
                reason="wrong secret" if given else "no secret",
            )
            return web.Response(status=403, text="forbidden")
        try:
            if (request.content_length or 0) > MAX_UPDATE_BYTES:
                raise BadUpdate("too large")
            data = read_update(await request.read())
        except web.HTTPRequestEntityTooLarge:
            return _bad_update("too large")
        except BadUpdate as exc:
            return _bad_update(str(exc))
        inbox = application.bot_data.inbox
        try:
            # As polling does: an update PTB cannot read (a newer Bot API) is parked.
            await inbox.receive_raw([data])
        except RecursionError:  # the depth check should have stopped it
            return _bad_update("nested too deep")
        except Exception:
            # Not stored: a 500 makes Telegram deliver it again.
            log.exception("could not store update %s", data["update_id"])
            with contextlib.suppress(Exception):
                await inbox.tell_waiting([Update.de_json(data, application.bot)])
            return web.Response(status=500, text="not stored")
        return web.Response(text="ok")  # only now does Telegram count it delivered

    async def health(request: web.Request) -> web.Response:
        store = application.bot_data.store
        try:
            counts = await outbox.counts(store)
        except Exception as exc:  # the database is what health is about
            body = {"ok": False, "database": f"{type(exc).__name__}: {exc}"}
            return web.Response(status=503, text=json.dumps(body), content_type="application/json")
        body = {
            "ok": True,
            "database": "ok",
            "outbox_pending": counts.get(outbox.OutboxStatus.PENDING, 0),
            "updates_queued": application.bot_data.inbox.queued,
            "uptime_s": round(time.monotonic() - started),
        }
        return web.Response(text=json.dumps(body), content_type="application/json")

    app = web.Application(client_max_size=MAX_UPDATE_BYTES)
    app.router.add_post(path, take)
    app.router.add_get("/health", health)
    return app


class BadUpdate(ValueError):
    """A webhook body that is not one update; the message says why in a few words."""


def read_update(body: bytes) -> dict[str, Any]:
    """The update a webhook body holds: a JSON object with an integer update_id, at
    most MAX_UPDATE_BYTES long and MAX_UPDATE_DEPTH deep, whose integers fit in 64 bits
    and whose strings have UTF-8 (SQLite would refuse the rest); else BadUpdate."""
    if len(body) > MAX_UPDATE_BYTES:
        raise BadUpdate("too large")
    try:
        data = json.loads(body)
    except RecursionError:
        raise BadUpdate("nested too deep") from None
    except ValueError:  # UnicodeDecodeError included
        raise BadUpdate("not JSON") from None
    if not isinstance(data, dict):
        raise BadUpdate("not a JSON object")
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        raise BadUpdate("no integer update_id")
    reason = problem(data)
    if reason is not None:
        raise BadUpdate(reason)
    return data


def _bad_update(reason: str) -> web.Response:
    """Refused and stored nowhere."""
    event(log, "webhook_bad_update", logging.WARNING, reason=reason)
    return web.Response(status=400, text="bad update")
