"""The outbox's record of what was delivered, written as a group commit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime

from bot.services.sender import Pressed, Sent
from flows.views import flow_code
from store import outbox, prompts
from store.db import Store
from store.outbox import OutboxItem

__all__ = ["RECORD_TRIES", "SentRecords", "pressed_of", "prompts_shown"]

log = logging.getLogger(__name__)
RECORD_TRIES = 5  # a delivery's record is written again this often (a lock, a full disk)


class SentRecords:
    """Deliveries recorded as soon as possible, together: a group commit.

    Each sender waits until its row is marked sent. One write is under way at a
    time and takes every record that arrived meanwhile, so at a thousand messages
    a second the database sees a few dozen transactions instead of a thousand,
    and no record waits longer than one write for the next.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._waiting: list[tuple[int, datetime, asyncio.Future[None]]] = []
        self._shown: list[prompts.Shown] = []  # written with the records they came with
        self._writer: asyncio.Task[None] | None = None

    async def record(
        self, item_id: int, when: datetime, shown: Sequence[prompts.Shown] = ()
    ) -> None:
        """Return once the row is recorded as sent, with the dialogue buttons its
        messages carry now (or raise what the write raised)."""
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((item_id, when, done))
        self._shown.extend(shown)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="outbox-sent-records")
        await done

    async def _write(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                shown, self._shown = self._shown, []
                records = [(i, when) for i, when, _ in batch]
                for attempt in range(1, RECORD_TRIES + 1):
                    # These were delivered: a record given up on would send them again.
                    try:
                        await outbox.mark_sent(self.store, records, shown)
                    except Exception as exc:
                        if attempt == RECORD_TRIES:
                            _settle(batch, exc)
                            break
                        log.warning("could not record %d delivery(ies): %s", len(batch), exc)
                        await asyncio.sleep(0.5 * attempt)
                    else:
                        _settle(batch, None)
                        break
        except asyncio.CancelledError:
            _settle(self._waiting, asyncio.CancelledError())
            self._waiting, self._shown = [], []
            raise


def _settle(
    batch: list[tuple[int, datetime, asyncio.Future[None]]], exc: BaseException | None
) -> None:
    for _, _, done in batch:
        if done.done():
            continue
        if exc is None:
            done.set_result(None)
        else:
            done.set_exception(exc)


def prompts_shown(item: OutboxItem, changed: Sequence[Sent]) -> list[prompts.Shown]:
    """Which dialogue's buttons these messages carry now, in a private chat (a typed
    answer there takes the newest prompt's buttons off, bot/shell/handlers/flows.py)."""
    if item.chat_id != item.participant_id:
        return []
    return [
        prompts.Shown(item.participant_id, sent.message_id, flow_code(sent.callbacks))
        for sent in changed
    ]


def pressed_of(item: OutboxItem) -> Pressed | None:
    """The message whose button a reply answers (to edit it or take its buttons off)."""
    found = item.payload.get("pressed")
    if not isinstance(found, dict):
        return None
    return Pressed(int(found["message_id"]), bool(found["buttons"]))
