"""The store's write lock: one writer at a time, in order, urgent writers first."""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

__all__ = ["WriteLock"]


class WriteLock:
    """One writer at a time, in order of arrival, except that a `priority` waiter goes
    ahead of the others: recording a delivery or storing what arrived must not queue
    behind a hundred people's turns (the longer it waits, the longer a crash could
    send that message twice, or Telegram waits for its confirmation)."""

    def __init__(self) -> None:
        self._held = False
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._arrivals = 0

    async def acquire(self, *, priority: bool = False) -> None:
        if not self._held and not self._waiters:
            self._held = True
            return
        self._arrivals += 1
        handed = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (0 if priority else 1, self._arrivals, handed))
        try:
            await handed
        except asyncio.CancelledError:
            if handed.done() and not handed.cancelled():
                self.release()  # it was handed over just as the waiter was cancelled
            raise

    def release(self) -> None:
        while self._waiters:
            _, _, handed = heapq.heappop(self._waiters)
            if not handed.done():
                handed.set_result(None)  # the lock passes on, still held
                return
        self._held = False

    @asynccontextmanager
    async def held(self, *, priority: bool = False) -> AsyncIterator[None]:
        await self.acquire(priority=priority)
        try:
            yield
        finally:
            self.release()
