"""The webhook: updates posted by Telegram, stored before the 200 that confirms them.

Two paths, served with aiohttp (already the bot's HTTP client):
  POST <path of webhook_url>  updates from Telegram; a request without the right
                              X-Telegram-Bot-Api-Secret-Token header is refused (403)
                              and logged, the update never reaches a handler
  GET  /health                200 and a JSON status while the database answers, else 503
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import os
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlparse

from aiohttp import web
from telegram import Update

from bot.base.settings import Settings
from bot.shell.context import BotApp
from bot.shell.lifecycle import on_start, on_stop, stop_handling
from bot.shell.logs import event
from bot.shell.startup import StartupError
from bot.shell.update_json import MAX_DEPTH, problem
from store import outbox

__all__ = [
    "MAX_UPDATE_BYTES",
    "MAX_UPDATE_DEPTH",
    "SECRET_HEADER",
    "BadUpdate",
    "read_update",
    "webhook",
]

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's updates are a few kilobytes and nest about a dozen deep (bot.shell.update_json).
MAX_UPDATE_BYTES = 1024 * 1024
MAX_UPDATE_DEPTH = MAX_DEPTH


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
        store = application.bot_data.services.store
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
            "leading": application.bot_data.services.leadership.leading,
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
