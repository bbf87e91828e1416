"""What the outbox does with a row it could not send: later, again, waiting for a chat, failed.

A `SlowDown` (Telegram's 429) reschedules without counting an attempt, `Blocked`
(403 "blocked by the user") marks the participant blocked and cancels their other rows
(`NoChatYet`, 403 "can't initiate conversation", only means no chat yet: their rows
stay), a reply whose answer was lost is not sent again, and other trouble retries with
backoff and then fails.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.base.clock import Clock
from bot.services.sender import (
    MaybeDelivered,
    NoChatYet,
    NotDelivered,
    Rejected,
    SendError,
    SlowDown,
    Unreachable,
)
from store import outbox, participants
from store.db import Store
from store.outbox import OutboxItem, OutboxStatus

__all__ = ["MAX_ATTEMPTS", "REFUSED_RETRY", "TOO_MANY", "WAIT_FOR_CHAT", "SendFailures"]

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
WAIT_FOR_CHAT = timedelta(days=1)  # a patient row looks again this often (or at their /start)
REFUSED_RETRY = 1.0  # a send the Bot API refused (5xx): again within seconds, 1 s, 2 s, 4 s…
TOO_MANY = "429 Too Many Requests"


class SendFailures:
    """Records what a failed send means for its row (and, for a block, for its person)."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def after(self, item: OutboxItem, exc: SendError, *, urgent: bool, patient: bool) -> None:
        """The row after `exc` (the pacer is already paused for a `SlowDown`); `urgent`: a
        reply, `patient`: a `PatientKind`'s row, which waits for a chat rather than fail."""
        if isinstance(exc, Unreachable):
            await self.unreachable(item, exc, patient)
        elif isinstance(exc, SlowDown):
            await outbox.retry_later(
                self.store,
                item.id,
                self.clock.now() + timedelta(seconds=exc.seconds),  # from now, after the pacer
                TOO_MANY,
                count_attempt=False,
            )
        elif urgent and isinstance(exc, MaybeDelivered):
            # A reply whose answer was lost has most likely arrived: twice is worse.
            log.warning("reply %s: the answer was lost (%s); not sent again", item.id, exc)
            await outbox.mark(self.store, item.id, OutboxStatus.FAILED, error=f"lost: {exc}")
        else:
            await self.failed_attempt(item, self.clock.now(), exc)

    async def unreachable(self, item: OutboxItem, exc: Unreachable, patient: bool) -> None:
        if item.chat_id == item.participant_id and isinstance(exc, NoChatYet):
            # Not blocked: they never opened the chat (Telegram lets no bot write first).
            # Their other rows stay; each waits or fails on its own.
            log.info("chat %s has not started the bot: %s", item.chat_id, exc)
        elif item.chat_id == item.participant_id:
            # They blocked the bot: keep their data, send them nothing more (not an error).
            log.info("chat %s blocked the bot; its pending messages are cancelled", item.chat_id)
            await participants.mark_blocked(self.store, item.participant_id)
            await outbox.cancel_pending(self.store, item.participant_id)
        else:  # a group that removed the bot: the person did nothing
            log.info("chat %s refused a message: %s", item.chat_id, exc)
        if patient:
            await self.wait_for_chat(item, self.clock.now())
            return
        await outbox.mark(self.store, item.id, OutboxStatus.FAILED, error=str(exc))

    async def wait_for_chat(self, item: OutboxItem, now: datetime) -> None:
        log.warning(
            "outbox row %s (%s) for %s waits until they write to the bot",
            item.id,
            item.kind,
            item.participant_id,
        )
        await outbox.retry_later(
            self.store, item.id, now + WAIT_FOR_CHAT, outbox.WAITING_FOR_CHAT, count_attempt=False
        )

    async def failed_attempt(self, item: OutboxItem, now: datetime, exc: Exception) -> None:
        permanent = isinstance(exc, Rejected)
        if permanent or item.attempts >= MAX_ATTEMPTS:
            log.error("outbox row %s failed for good: %s", item.id, exc)
            await outbox.mark(self.store, item.id, OutboxStatus.FAILED, error=str(exc))
        else:
            # Refused (a 5xx, no connection): it did not arrive, so again within seconds,
            # not after the rest of a broadcast. Otherwise (a timeout) wait longer.
            base = REFUSED_RETRY if isinstance(exc, NotDelivered) else 10.0
            backoff = timedelta(seconds=base * 2 ** (item.attempts - 1))
            await outbox.retry_later(self.store, item.id, now + backoff, str(exc))
