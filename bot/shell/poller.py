"""Long polling that confirms only what the inbox has stored (not PTB's Updater)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken

from bot.shell.inbox import Inbox

__all__ = ["READ_MARGIN", "Poller"]

log = logging.getLogger(__name__)
READ_MARGIN = 5.0  # seconds past the long poll's own timeout before a read gives up


class Poller:
    """Long polling that confirms only what is stored: the offset sent with the next
    getUpdates is past the last update the inbox holds, never past one it lacks."""

    def __init__(self, bot: Bot, inbox_: Inbox, timeout: float) -> None:
        self.bot = bot
        self.inbox = inbox_
        self.timeout = timeout
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="inbox-poller")

    async def stop(self) -> None:
        """Stop polling (an update fetched but not stored is not confirmed: it comes again)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, InvalidToken):
                await self._task
            self._task = None

    async def _run(self) -> None:
        bot = self.bot
        # No offset at first: Telegram gives every update not yet confirmed, including
        # those stored before a crash (the inbox refuses them a second time).
        offset: int | None = None
        trouble = 0
        while True:
            try:
                raw = await bot.do_api_request(
                    "getUpdates",
                    api_kwargs={
                        "offset": offset,
                        "timeout": int(self.timeout),
                        "allowed_updates": Update.ALL_TYPES,
                    },
                    read_timeout=self.timeout + READ_MARGIN,
                )
            except InvalidToken:
                log.error("the Bot API refused the token; polling stops")
                raise
            except Conflict as exc:
                trouble += 1
                log.warning("getUpdates conflict (another instance polling?): %s", exc)
                await asyncio.sleep(min(30.0, 2.0 * trouble))
                continue
            except Exception as exc:  # network trouble, a 5xx, an answer we cannot read
                trouble += 1
                if trouble in (1, 10) or trouble % 100 == 0:
                    log.warning("getUpdates failed (%s); trying again", exc)
                await asyncio.sleep(min(5.0, 0.25 * trouble))
                continue
            trouble = 0
            if not isinstance(raw, list) or not raw:
                continue
            try:
                await self.inbox.receive_raw(raw)
            except Exception:
                # Not stored, so not confirmed: the same updates come with the next call.
                log.exception("could not store %d update(s); asking again", len(raw))
                await self.inbox.tell_waiting(_readable(raw, bot))
                await asyncio.sleep(1.0)
                continue
            offset = max(int(item["update_id"]) for item in raw) + 1


def _readable(raw: Sequence[dict[str, Any]], bot: Bot) -> list[Update]:
    found = []
    for item in raw:
        with contextlib.suppress(Exception):
            found.append(Update.de_json(item, bot))
    return found
