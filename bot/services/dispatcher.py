"""The outbox dispatcher: sends due rows, keeps its promises across restarts and limits.

A `Timer` (PTB's JobQueue, in the shell) is only the clock: a one-shot run wakes the
dispatcher at the next due time (and a slow safety tick in case the clock was
moved). Each run claims due rows, asks the row's kind what to send *now* (the
participant may have moved on, paused or blocked the bot), sends it through the
`Sender` and records the outcome. A `SlowDown` (Telegram's 429) reschedules, `Blocked`
(403 "blocked by the user") marks the participant blocked and cancels their other rows
(`NoChatYet`, 403 "can't initiate conversation", only means no chat yet: their rows
stay), network trouble retries with backoff and then fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.base.clock import Clock
from bot.services.outbox_kinds import Missed, OutboxKind, Outcome, PatientKind, Postpone
from bot.services.pacing import Pacer
from bot.services.sender import (
    MaybeDelivered,
    NoChatYet,
    NotDelivered,
    Pressed,
    Rejected,
    Sender,
    SendError,
    Sent,
    SlowDown,
    Timer,
    Unreachable,
)
from bot.services.sent_records import SentRecords
from flows.replies import ClearButtons, decode
from flows.views import flow_code
from store import outbox, participants, prompts
from store.db import Store
from store.outbox import REPLY, OutboxItem, OutboxStatus
from store.participants import Participant, ParticipantStatus

__all__ = ["OVERALL_FREE", "Dispatcher"]

log = logging.getLogger(__name__)
BATCH = 50
SENDERS = 8  # messages in flight at once at Telegram's free rate; the pacer keeps the rate
IN_FLIGHT_SECONDS = 0.05  # at higher rates (paid broadcasts), about this much sending in flight
MAX_ATTEMPTS = 6
DELIVERED = "delivered"  # payload key: messages of this row already out
SAFETY_TICK = 60.0
WAIT_FOR_CHAT = timedelta(days=1)  # a patient row looks again this often (or at their /start)
OVERALL_FREE = 30  # Telegram's messages a second across all chats, without paid broadcasts
REFUSED_RETRY = 1.0  # a send the Bot API refused (5xx): again within seconds, 1 s, 2 s, 4 s…
TOO_MANY = "429 Too Many Requests"


class Dispatcher:
    def __init__(
        self, sender: Sender | None, store: Store, clock: Clock, rate_per_second: float = 25
    ) -> None:
        # sender None: queue only (the command line); the running bot sends what is queued.
        self.sender = sender
        self.store = store
        self.clock = clock
        self.kinds: dict[str, OutboxKind] = {}
        self.paid_kinds: set[str] = set()  # sent with allow_paid_broadcast
        # One budget for replies and bulk sends alike; replies go first (see bot.services.pacing).
        self.pacer = Pacer(rate_per_second, overall_per_second=max(OVERALL_FREE, rate_per_second))
        self._timer: Timer | None = None
        self._stopping = False
        self._running = asyncio.Lock()
        # Enough in flight for the rate (a send takes a few tens of ms), and no more:
        # whatever is in flight is what a crash could send twice.
        self.senders = max(SENDERS, math.ceil(rate_per_second * IN_FLIGHT_SECONDS))
        self.batch = max(BATCH, 4 * self.senders)
        self._senders = asyncio.Semaphore(self.senders)
        self._sent = SentRecords(store)
        self._in_hand: set[int] = set()  # reply rows a turn is sending right now

    async def start(self, timer: Timer | None) -> None:
        """Resume after a restart: rows left mid-send are pending again; wake at the next due."""
        recovered = await outbox.recover_interrupted(self.store)
        if recovered:
            log.warning("%d outbox row(s) were interrupted mid-send; sending them again", recovered)
        self._timer = timer
        if timer is not None:
            timer.every("outbox-safety", SAFETY_TICK, self._tick)
        await self.wake()

    async def wake(self) -> None:
        """Schedule a run at the next due time (now, if something is due already)."""
        if self._timer is None:
            return
        due = await outbox.next_due(self.store)
        if due is None:
            return
        delay = max(0.0, (due - self.clock.now()).total_seconds())
        self._timer.once("outbox", min(delay, SAFETY_TICK), self._tick)

    def stop(self) -> None:
        """Claim no more rows: the batch in hand is finished and recorded, the rest
        waits in the database for the next start (a graceful stop takes seconds)."""
        self._stopping = True

    async def _tick(self) -> None:
        await self.run_due()
        if not self._stopping:
            await self.wake()

    async def run_due(self) -> int:
        """Send every row due by the clock; return how many were delivered."""
        delivered = 0
        async with self._running:
            while not self._stopping and (
                batch := await outbox.claim_due(self.store, self.clock.now(), self.batch)
            ):
                people = await participants.get_many(
                    self.store, (item.participant_id for item in batch)
                )
                results = await asyncio.gather(
                    *(self._send_one(item, people.get(item.participant_id)) for item in batch)
                )
                delivered += sum(results)
        return delivered

    async def _send_one(self, item: OutboxItem, participant: Participant | None) -> int:
        if item.id in self._in_hand:
            return 0  # a reply still being sent after its turn (a long 429): not twice
        async with self._senders:
            try:
                return await self._deliver(item, participant)
            except Exception as exc:
                # A bug in one kind must not stop the others; it counts as a failed attempt.
                log.exception("outbox row %s could not be delivered", item.id)
                return await self._failed_attempt(item, self.clock.now(), exc)

    async def deliver_reply(self, item: OutboxItem) -> bool:
        """Send a reply row at once, ahead of bulk sends (the inbox, after its commit);
        True when it is out. What could not go now is left to the outbox to retry."""
        self._in_hand.add(item.id)
        try:
            participant = await participants.get(self.store, item.participant_id)
            delivered = await self._deliver(item, participant)
        except Exception as exc:
            log.exception("reply %s could not be delivered", item.id)
            with contextlib.suppress(Exception):
                await self._failed_attempt(item, self.clock.now(), exc)
            delivered = 0
        finally:
            self._in_hand.discard(item.id)
        if not delivered:
            with contextlib.suppress(Exception):
                await self.wake()
        return delivered == 1

    async def _deliver(self, item: OutboxItem, participant: Participant | None) -> int:
        assert self.sender is not None, "a queue-only dispatcher sends nothing"
        now = self.clock.now()
        urgent = item.kind == REPLY
        kind = self.kinds.get(item.kind)
        blocked = (
            participant is not None
            and participant.status is ParticipantStatus.BLOCKED
            and item.chat_id == item.participant_id  # a group's pointer still goes
        )
        # A reply needs no participant row: a group's pointer, the answer to /forget.
        patient = isinstance(kind, PatientKind)
        if patient and (blocked or participant is None):
            await self._wait_for_chat(item, now)
            return 0
        if blocked or (participant is None and not urgent) or (kind is None and not urgent):
            await outbox.mark(self.store, item.id, OutboxStatus.CANCELLED)
            return 0
        if urgent:
            outcome: Outcome = decode(item.payload["replies"])
        else:
            assert kind is not None
            assert participant is not None
            outcome = await kind.render(item, participant, now)
        if outcome is None:
            await outbox.mark(self.store, item.id, OutboxStatus.CANCELLED)
            return 0
        if isinstance(outcome, Postpone):
            await outbox.retry_later(
                self.store, item.id, outcome.until, "postponed", count_attempt=False
            )
            return 0
        if isinstance(outcome, Missed):
            await outbox.mark(self.store, item.id, OutboxStatus.MISSED, error="too late")
            return 0
        # A row may hold several messages; those delivered by an earlier attempt are skipped,
        # so a retry never repeats them.
        done_before = int(item.payload.get(DELIVERED, 0))
        delivered = done_before
        pressed = _pressed(item)
        changed: list[Sent] = []  # messages whose buttons are now on or off
        try:
            for message in list(outcome)[done_before:]:
                if not isinstance(message, ClearButtons):
                    # The row's first message keeps its chat's second; the rest follow it.
                    first = delivered == done_before
                    await self.pacer.wait(item.chat_id if first else None, urgent=urgent)
                changed += await self.sender.send(
                    item.chat_id,
                    message,
                    pressed=pressed,
                    patient=urgent or delivered > done_before,
                    paid=item.kind in self.paid_kinds,
                )
                delivered += 1
                if urgent and delivered < len(outcome):
                    # A reply of several messages (a confirmation, its calendar file, a
                    # code): each one recorded, so a crash repeats at most the one in flight.
                    await self._note_delivered(item, delivered)
        except Unreachable as exc:
            return await self._unreachable(item, exc, patient)
        except SlowDown as exc:
            if delivered > done_before:
                await self._note_delivered(item, delivered)
            self.pacer.pause(exc.seconds)
            await outbox.retry_later(
                self.store,
                item.id,
                self.clock.now() + timedelta(seconds=exc.seconds),  # from now, after the pacer
                TOO_MANY,
                count_attempt=False,
            )
            return 0
        except SendError as exc:
            if delivered > done_before:
                await self._note_delivered(item, delivered)
            if urgent and isinstance(exc, MaybeDelivered):
                # A reply whose answer was lost has most likely arrived: twice is worse.
                log.warning("reply %s: the answer was lost (%s); not sent again", item.id, exc)
                await outbox.mark(self.store, item.id, OutboxStatus.FAILED, error=f"lost: {exc}")
                return 0
            return await self._failed_attempt(item, self.clock.now(), exc)
        # The window: Telegram accepted the message, the row is not yet marked sent. A kill
        # exactly here sends it again after the restart; the next write keeps it short.
        await self._sent.record(item.id, self.clock.now(), _prompts(item, changed))
        if kind is not None and participant is not None:
            await kind.sent(item, participant, now)
        return 1

    async def _note_delivered(self, item: OutboxItem, delivered: int) -> None:
        await outbox.set_payload(self.store, item.id, {**item.payload, DELIVERED: delivered})

    async def _unreachable(self, item: OutboxItem, exc: Unreachable, patient: bool) -> int:
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
            await self._wait_for_chat(item, self.clock.now())
            return 0
        await outbox.mark(self.store, item.id, OutboxStatus.FAILED, error=str(exc))
        return 0

    async def _wait_for_chat(self, item: OutboxItem, now: datetime) -> None:
        log.warning(
            "outbox row %s (%s) for %s waits until they write to the bot",
            item.id,
            item.kind,
            item.participant_id,
        )
        await outbox.retry_later(
            self.store, item.id, now + WAIT_FOR_CHAT, outbox.WAITING_FOR_CHAT, count_attempt=False
        )

    async def _failed_attempt(self, item: OutboxItem, now: datetime, exc: Exception) -> int:
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
        return 0


def _prompts(item: OutboxItem, changed: Sequence[Sent]) -> list[prompts.Shown]:
    """Which dialogue's buttons these messages carry now, in a private chat (a typed
    answer there takes the newest prompt's buttons off, bot/shell/handlers/flows.py)."""
    if item.chat_id != item.participant_id:
        return []
    return [
        prompts.Shown(item.participant_id, sent.message_id, flow_code(sent.callbacks))
        for sent in changed
    ]


def _pressed(item: OutboxItem) -> Pressed | None:
    """The message whose button a reply answers (to edit it or take its buttons off)."""
    found = item.payload.get("pressed")
    if not isinstance(found, dict):
        return None
    return Pressed(int(found["message_id"]), bool(found["buttons"]))
