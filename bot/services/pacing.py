"""One budget for everything the bot sends, people first.

Telegram allows about 30 messages in any second overall (more with paid
broadcasts) and about one a second in one chat; past that it answers 429.
PTB's AIORateLimiter has no per-private-chat limit, queues in no order and its
pause after a 429 can reopen early, so sending is paced here, for direct replies
and the outbox alike.

A slot is granted at the moment the message may go, never reserved ahead, so a
reply a person is waiting for (`urgent`) always takes the next free slot, ahead
of every bulk send (broadcasts, reminders, drips, digests) still waiting. Bulk
sends are also evenly spaced at their own rate and one a second per chat; a
reply is not held back by its chat's second (Telegram lets short bursts in a
private chat pass), but a bulk send waits a second after it. A 429 pauses both.

`PacerCore` is the pure rule (time is passed in, property-tested); `Pacer` runs
it on the event loop.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Pacer", "PacerCore"]

WINDOW = 1.0
MARGIN = 0.02  # requests arrive a little after we send them
PER_CHAT_INTERVAL = 1.0 + MARGIN
LATE = 0.005  # a timer this late is made up by the next slot (it fires ~1 ms late)


@dataclass(slots=True)
class _Waiter:
    ticket: int
    chat_id: int | None  # None: not held to its chat's second (the rest of one row)
    urgent: bool


class PacerCore:
    """Who may send when: the pure part of the pacer."""

    def __init__(self, rate_per_second: float, overall_per_second: float | None = None) -> None:
        self.bulk_limit = max(1, math.floor(rate_per_second))
        overall = max(rate_per_second, overall_per_second or rate_per_second)
        self.limit = max(1, math.floor(overall))
        # Evenly spaced, not in bursts: fewer messages in flight at any moment, so a crash
        # can catch fewer of them between Telegram's acceptance and our record of it.
        self.spacing = 1.0 / rate_per_second
        self._next_bulk = -math.inf
        self._sent: deque[float] = deque()
        self._chat_next: dict[int, float] = {}
        self.paused_until = 0.0
        self._urgent: deque[_Waiter] = deque()
        self._bulk: deque[_Waiter] = deque()

    def ask(self, ticket: int, chat_id: int | None, *, urgent: bool) -> None:
        (self._urgent if urgent else self._bulk).append(_Waiter(ticket, chat_id, urgent))

    def withdraw(self, ticket: int) -> None:
        for queue in (self._urgent, self._bulk):
            for waiter in queue:
                if waiter.ticket == ticket:
                    queue.remove(waiter)
                    return

    def pause(self, until: float) -> None:
        self.paused_until = max(self.paused_until, until)

    def step(self, now: float) -> tuple[list[int], float | None]:
        """Grant every slot free at `now`; return the tickets granted and when to look again."""
        while self._sent and self._sent[0] <= now - WINDOW - MARGIN:
            self._sent.popleft()
        granted: list[int] = []
        while True:
            if now < self.paused_until:
                return granted, self.paused_until if self._waiting else None
            if self._urgent:
                at = self._window_free(self.limit)
                if at > now:
                    return granted, at
                waiter = self._urgent.popleft()
            elif self._bulk:
                at = max(self._window_free(self.bulk_limit), self._next_bulk)
                waiter_or_time = self._first_free_chat(now)
                if isinstance(waiter_or_time, float):
                    at = max(at, waiter_or_time)
                if at > now:
                    return granted, at
                assert isinstance(waiter_or_time, _Waiter)
                waiter = waiter_or_time
                self._bulk.remove(waiter)
                # On schedule even when the timer fires a little late (a late slot is made
                # up by the next), never a burst after an idle spell.
                on_time = self._next_bulk > now - min(self.spacing, LATE)
                self._next_bulk = (self._next_bulk if on_time else now) + self.spacing
            else:
                return granted, None
            self._sent.append(now)
            if waiter.chat_id is not None:
                self._chat_next[waiter.chat_id] = now + PER_CHAT_INTERVAL
            if len(self._chat_next) > 10_000:
                self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
            granted.append(waiter.ticket)

    @property
    def _waiting(self) -> bool:
        return bool(self._urgent or self._bulk)

    def _window_free(self, limit: int) -> float:
        if len(self._sent) < limit:
            return -math.inf
        # Grants are in time order: the limit-th latest must be out of the window first.
        return self._sent[-limit] + WINDOW + MARGIN

    def _first_free_chat(self, now: float) -> _Waiter | float:
        """The first bulk waiter whose chat is free, else when the first chat frees up."""
        soonest = math.inf
        for waiter in self._bulk:
            free = self._chat_next.get(waiter.chat_id, 0.0) if waiter.chat_id is not None else 0.0
            if free <= now:
                return waiter
            soonest = min(soonest, free)
        return soonest


class Pacer:
    """`await pacer.wait(chat_id)` before each message; `urgent=True` for a person's reply."""

    def __init__(
        self,
        rate_per_second: float,
        clock: Callable[[], float] = time.monotonic,
        *,
        overall_per_second: float | None = None,
    ) -> None:
        self.core = PacerCore(rate_per_second, overall_per_second)
        self.clock = clock
        self._tickets = 0
        self._futures: dict[int, asyncio.Future[None]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf

    @property
    def limit(self) -> int:
        return self.core.limit

    async def wait(self, chat_id: int | None, *, urgent: bool = False) -> None:
        """Return when a message to `chat_id` may go out (None: the rest of a row)."""
        self._tickets += 1
        ticket = self._tickets
        done = asyncio.get_running_loop().create_future()
        self._futures[ticket] = done
        self.core.ask(ticket, chat_id, urgent=urgent)
        self._pump()
        try:
            await done
        except asyncio.CancelledError:
            self.core.withdraw(ticket)
            raise
        finally:
            self._futures.pop(ticket, None)

    def pause(self, seconds: float) -> None:
        """Telegram said 429: nobody sends for `seconds`."""
        self.core.pause(self.clock() + seconds)
        self._pump()

    def _pump(self) -> None:
        granted, again = self.core.step(self.clock())
        for ticket in granted:
            future = self._futures.get(ticket)
            if future is not None and not future.done():
                future.set_result(None)
        if again is not None and again < self._timer_at:
            if self._timer is not None:
                self._timer.cancel()
            loop = asyncio.get_running_loop()
            delay = max(0.0, again - self.clock())
            self._timer_at = again
            self._timer = loop.call_later(delay, self._ring)

    def _ring(self) -> None:
        self._timer, self._timer_at = None, math.inf
        self._pump()
