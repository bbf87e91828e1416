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

    def reserve(self, chat_id: int, now: float) -> tuple[float, bool]:
        """When a message to `chat_id` may go, and whether that time is now taken for it.

        A free slot is taken at once (sent at `now` or later), so every waiting sender
        sleeps exactly until its own slot. A chat that had a message less than a second
        ago gets no slot yet: it sleeps until the chat is free and asks again.
        """
        while self._sent and self._sent[0] <= now - WINDOW - MARGIN:
            self._sent.popleft()
        chat_free = self._chat_next.get(chat_id, 0.0)
        if chat_free > now:
            return chat_free, False
        at = max(now, self._paused_until, self._next_slot)
        if len(self._sent) >= self.limit:
            # The slots are in order; the limit-th latest must be out of the window by then.
            at = max(at, self._sent[-self.limit] + WINDOW + MARGIN)
        self._sent.append(at)
        self._next_slot = at + self.spacing
        self._chat_next[chat_id] = at + PER_CHAT_INTERVAL
        if len(self._chat_next) > 10_000:
            self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
        return at, True

    async def wait(self, chat_id: int) -> None:
        """Return when a message to `chat_id` may go out."""
        while True:
            at, taken = self.reserve(chat_id, self.clock())
            now = self.clock()
            if at > now:
                await asyncio.sleep(at - now)
            if not taken:
                continue
            if self.clock() >= self._paused_until:
                return
            # A 429 while asleep (a pause) made the slot void: the chat had nothing yet.
            self._chat_next.pop(chat_id, None)

    def pause(self, seconds: float) -> None:
        """Telegram said 429: nobody sends for `seconds`."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)
