"""The outbox dispatcher: sends due rows, keeps its promises across restarts and limits.

A `Timer` (PTB's JobQueue, in the shell) is only the clock: a one-shot run wakes the
dispatcher at the next due time (and a slow safety tick in case the clock was
moved). Each run claims due rows, asks the row's kind what to send *now* (the
participant may have moved on, paused or blocked the bot), sends it through the
`Sender` and records the outcome; what a send error does to its row is
bot/services/send_failures.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math

from bot.base.clock import Clock
from bot.services.leadership import WAKE_CHANNEL
from bot.services.outbox_kinds import Missed, OutboxKind, Outcome, PatientKind, Postpone
from bot.services.pacing import Pacer
from bot.services.send_failures import SendFailures
from bot.services.sender import Sender, SendError, Sent, SlowDown, Timer, Unreachable
from bot.services.sent_records import SentRecords, pressed_of, prompts_shown
from flows.replies import ClearButtons, decode
from store import outbox, participants
from store.db import Store
from store.outbox import REPLY, OutboxItem, OutboxStatus
from store.participants import Participant, ParticipantStatus

__all__ = ["OVERALL_FREE", "Dispatcher"]

log = logging.getLogger(__name__)
BATCH = 50
SENDERS = 8  # messages in flight at once at Telegram's free rate; the pacer keeps the rate
IN_FLIGHT_SECONDS = 0.05  # at higher rates (paid broadcasts), about this much sending in flight
DELIVERED = "delivered"  # payload key: messages of this row already out
SAFETY_TICK = 60.0
OVERALL_FREE = 30  # Telegram's messages a second across all chats, without paid broadcasts


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
        self.failures = SendFailures(store, clock)
        self._in_hand: set[int] = set()  # reply rows a turn is sending right now
        # Only the leader of several processes sends (bot/services/leadership.py); the
        # others queue and tell it. Alone on its database, a process always leads.
        self.leading = not store.shared
        self._noticed = False
        self._noticing: asyncio.Task[None] | None = None

    async def start(self, timer: Timer | None) -> None:
        """Resume after a restart (or a leader's death): rows left mid-send are pending
        again; wake at the next due. It leads only once they are: a reply a turn queued
        meanwhile is pending, for this run, not taken by a turn and reset under it."""
        recovered = await outbox.recover_interrupted(self.store)
        self.leading = True
        if recovered:
            log.warning("%d outbox row(s) were interrupted mid-send; sending them again", recovered)
        self._timer = timer
        if timer is not None:
            timer.every("outbox-safety", SAFETY_TICK, self._tick)
        await self.wake()

    async def wake(self) -> None:
        """Schedule a run at the next due time (now, if something is due already); in a
        process that does not lead, tell the leader to (at the commit, in a transaction)."""
        if not self.leading:
            await self.store.notify(WAKE_CHANNEL)
            return
        if self._timer is None:
            return
        due = await outbox.next_due(self.store)
        if due is None:
            return
        delay = max(0.0, (due - self.clock.now()).total_seconds())
        self._timer.once("outbox", min(delay, SAFETY_TICK), self._tick)

    def notice(self) -> None:
        """Another process queued rows (the leader hears its NOTIFY): see to them soon.
        Notices that come while one is seen to are taken together after it."""
        self._noticed = True
        if self._noticing is None or self._noticing.done():
            self._noticing = asyncio.create_task(self._see_notices(), name="outbox-notices")

    async def _see_notices(self) -> None:
        while self._noticed and not self._stopping:
            self._noticed = False
            try:
                await self.noticed()
            except Exception:
                log.exception("could not see to the outbox after a notice")

    async def noticed(self) -> None:
        """Replies someone is waiting for go at once, without waiting for the batch in
        hand; the rest at their due time."""
        if self._stopping or not self.leading:
            return
        replies = await outbox.claim_due(
            self.store, self.clock.now(), self.senders, replies_only=True
        )
        if replies:
            people = await participants.get_many(
                self.store, (item.participant_id for item in replies)
            )
            await asyncio.gather(
                *(self._send_one(item, people.get(item.participant_id)) for item in replies)
            )
        await self.wake()

    def halt(self) -> None:
        """The lead was lost (another process may lead already): send nothing more, not
        even the batch in hand, whose rows the next leader sends; only what is in
        flight this moment may arrive twice."""
        self.leading = False
        self._stopping = True

    def stop(self) -> None:
        """Claim no more rows: the batch in hand is finished and recorded, the rest
        waits in the database for the next start (a graceful stop takes seconds)."""
        self._stopping = True

    async def settle(self) -> None:
        """After `stop`: the replies a notice is sending now are sent and recorded."""
        if self._noticing is not None:
            with contextlib.suppress(Exception):
                await self._noticing

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
                await self.failures.failed_attempt(item, self.clock.now(), exc)
                return 0

    async def deliver_reply(self, item: OutboxItem) -> bool:
        """Send a reply row at once, ahead of bulk sends (the inbox, after its commit);
        True when it is out. What could not go now is left to the outbox to retry (and,
        in a process that does not lead, to the leader)."""
        if not self.leading or item.status is not OutboxStatus.SENDING:
            # Queued pending (outbox.enqueue_reply, taken=False) where this process did not
            # lead: the leader, told by the turn's own NOTIFY at its commit, claims it.
            return False
        self._in_hand.add(item.id)
        try:
            participant = await participants.get(self.store, item.participant_id)
            delivered = await self._deliver(item, participant)
        except Exception as exc:
            log.exception("reply %s could not be delivered", item.id)
            with contextlib.suppress(Exception):
                await self.failures.failed_attempt(item, self.clock.now(), exc)
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
            await self.failures.wait_for_chat(item, now)
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
        pressed = pressed_of(item)
        changed: list[Sent] = []  # messages whose buttons are now on or off
        try:
            for message in list(outcome)[done_before:]:
                if not isinstance(message, ClearButtons):
                    # The row's first message keeps its chat's second; the rest follow it.
                    first = delivered == done_before
                    await self.pacer.wait(item.chat_id if first else None, urgent=urgent)
                if not self.leading:  # halted: the row stays claimed, for the next leader
                    if delivered > done_before:
                        await self._note_delivered(item, delivered)
                    return 0
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
        except SendError as exc:
            if delivered > done_before and not isinstance(exc, Unreachable):
                await self._note_delivered(item, delivered)
            if isinstance(exc, SlowDown):
                self.pacer.pause(exc.seconds)  # a 429 pauses every sender
            await self.failures.after(item, exc, urgent=urgent, patient=patient)
            return 0
        # The window: Telegram accepted the message, the row is not yet marked sent. A kill
        # exactly here sends it again after the restart; the next write keeps it short.
        await self._sent.record(item.id, self.clock.now(), prompts_shown(item, changed))
        if kind is not None and participant is not None:
            await kind.sent(item, participant, now)
        return 1

    async def _note_delivered(self, item: OutboxItem, delivered: int) -> None:
        await outbox.set_payload(self.store, item.id, {**item.payload, DELIVERED: delivered})
