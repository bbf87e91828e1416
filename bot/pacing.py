"""The dispatcher's own speed limit: about N messages a second overall, one a second per chat.

PTB's AIORateLimiter has no per-private-chat limit and its pause after a 429 can
reopen early, so outbox delivery is paced here; a 429 pauses every sender for
the time Telegram asked.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

__all__ = ["Pacer"]

PER_CHAT_INTERVAL = 1.0


class Pacer:
    def __init__(self, rate_per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate_per_second
        self.clock = clock
        self._next = 0.0
        self._chat_next: dict[int, float] = {}
        self._lock = asyncio.Lock()

    async def wait(self, chat_id: int) -> None:
        """Return when a message to `chat_id` may go out."""
        async with self._lock:
            now = self.clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
            slot = max(slot, self._chat_next.get(chat_id, 0.0))
            self._chat_next[chat_id] = slot + PER_CHAT_INTERVAL
            if len(self._chat_next) > 10_000:
                self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
        delay = slot - self.clock()
        if delay > 0:
            await asyncio.sleep(delay)

    def pause(self, seconds: float) -> None:
        """Telegram said 429: nobody sends for `seconds`."""
        self._next = max(self._next, self.clock() + seconds)
