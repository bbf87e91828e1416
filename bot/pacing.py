"""The dispatcher's own speed limit: N messages in any second overall, one a second per chat.

PTB's AIORateLimiter has no per-private-chat limit and its pause after a 429 can
reopen early, so outbox delivery is paced here. The overall limit is a sliding
window, the same rule the Bot API applies, with a small margin for the time a
request takes to arrive; a 429 pauses every sender for the time Telegram asked.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable

__all__ = ["Pacer"]

WINDOW = 1.0
MARGIN = 0.02  # requests arrive a little after we send them
PER_CHAT_INTERVAL = 1.0 + MARGIN


class Pacer:
    def __init__(self, rate_per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = max(1, math.floor(rate_per_second))
        # Evenly spaced, not in bursts: fewer messages in flight at any moment, so a crash
        # can catch fewer of them between Telegram's acceptance and our record of it.
        self.spacing = 1.0 / rate_per_second
        self._next_slot = -math.inf
        self.clock = clock
        self._sent: deque[float] = deque()
        self._chat_next: dict[int, float] = {}
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def _delay(self, chat_id: int, now: float) -> float:
        """0 when a message to `chat_id` may go now (and count it), else how long to wait."""
        while self._sent and self._sent[0] <= now - WINDOW - MARGIN:
            self._sent.popleft()
        waits = [
            self._paused_until - now,
            self._chat_next.get(chat_id, 0.0) - now,
            self._next_slot - now,
        ]
        if len(self._sent) >= self.limit:
            waits.append(self._sent[0] + WINDOW + MARGIN - now)
        delay = max(waits)
        if delay <= 0:
            self._sent.append(now)
            # Slots on an even grid; after a stall it may catch up by one slot, no more.
            self._next_slot = max(self._next_slot, now - self.spacing) + self.spacing
            self._chat_next[chat_id] = now + PER_CHAT_INTERVAL
            if len(self._chat_next) > 10_000:
                self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
        return delay

    async def wait(self, chat_id: int) -> None:
        """Return when a message to `chat_id` may go out."""
        while True:
            async with self._lock:
                delay = self._delay(chat_id, self.clock())
            if delay <= 0:
                return
            await asyncio.sleep(delay)

    def pause(self, seconds: float) -> None:
        """Telegram said 429: nobody sends for `seconds`."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)
