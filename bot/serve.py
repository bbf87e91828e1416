"""Running for real: long polling or a webhook, until SIGTERM or SIGINT.

Webhook mode serves two paths with aiohttp (already the bot's HTTP client):
  POST <path of webhook_url>  updates from Telegram; a request without the right
                              X-Telegram-Bot-Api-Secret-Token header is refused (403)
                              and logged, the update never reaches a handler
  GET  /health                200 and a JSON status while the database answers, else 503

A stop signal is handled the same way in both modes: no more updates are taken
(polling stops, the web server closes), updates already taken are handled, the
outbox job finishes the row in hand and records it, then the database is closed.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlparse

from aiohttp import web
from telegram import Update

from bot.app import on_start, on_stop, running, stop_handling
from bot.context import BotApp
from bot.logs import event
from bot.settings import BotMode, Settings
from store import outbox

__all__ = ["SECRET_HEADER", "serve", "webhook"]

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
POLL_TIMEOUT = 10


async def serve(application: BotApp, settings: Settings) -> None:
    """Run until SIGTERM or SIGINT, then stop gracefully."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, _stopper(stop, number))
    mode = settings.bot.mode
    began = time.monotonic()
    if mode is BotMode.POLLING:
        async with running(application, poll_timeout=POLL_TIMEOUT):
            event(log, "started", mode=mode.value)
            await stop.wait()
    else:
        async with webhook(application, settings):
            event(log, "started", mode=mode.value, url=settings.bot.webhook_url)
            await stop.wait()
    event(log, "stopped", mode=mode.value, ran_s=round(time.monotonic() - began))


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
        await web.TCPSite(runner, host, int(port)).start()
        try:
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
            data = await request.json()
            if not isinstance(data, dict):
                raise TypeError("an update is a JSON object")
            update = Update.de_json(data, application.bot)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            event(log, "webhook_bad_update", logging.WARNING, error=type(exc).__name__)
            return web.Response(status=400, text="bad update")
        try:
            await application.bot_data.inbox.receive([update])
        except Exception:
            # Not stored: a 500 makes Telegram deliver it again.
            log.exception("could not store update %s", update.update_id)
            await application.bot_data.inbox.tell_waiting([update])
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

    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_post(path, take)
    app.router.add_get("/health", health)
    return app
