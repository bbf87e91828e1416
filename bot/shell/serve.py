"""Running for real: long polling or a webhook, until SIGTERM or SIGINT.

A stop signal is handled the same way in both modes: no more updates are taken
(polling stops, the web server closes), updates already taken are handled, the
outbox job finishes the row in hand and records it, then the database is closed.

Before any of that, start-up problems become one `StartupError` line each
(bot/shell/startup.py); the webhook's server is bot/shell/webhook.py.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from typing import Any

from bot.base.settings import BotMode, Settings
from bot.shell.context import BotApp
from bot.shell.lifecycle import running
from bot.shell.logs import event
from bot.shell.startup import GIVE_UP_AFTER, check_database, reach_bot_api
from bot.shell.webhook import webhook

__all__ = ["serve"]

log = logging.getLogger(__name__)
POLL_TIMEOUT = 10


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
    lost = application.bot_data.services.leadership.lost
    if reached and mode is BotMode.POLLING:
        async with running(application, poll_timeout=POLL_TIMEOUT):
            event(log, "started", mode=mode.value)
            await _until(stop, lost)
    elif reached:  # else a stop signal came while it was still trying
        async with webhook(application, settings):
            event(log, "started", mode=mode.value, url=settings.bot.webhook_url)
            await _until(stop, lost)
    event(log, "stopped", mode=mode.value, ran_s=round(time.monotonic() - began))


async def _until(stop: asyncio.Event, lost: asyncio.Event) -> None:
    """A stop signal, or the lead lost with its connection (the process stops, so that
    two never send at once; systemd starts it again as one that does not lead)."""
    waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(lost.wait())]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
    if lost.is_set():
        event(log, "stopping", reason="lead lost")


def _stopper(stop: asyncio.Event, number: signal.Signals) -> Any:
    def handle() -> None:
        if not stop.is_set():
            event(log, "stopping", signal=number.name)
        stop.set()

    return handle
