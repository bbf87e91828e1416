"""Updates run concurrently across people but in order for each person."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

__all__ = ["PerUserUpdateProcessor"]


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Hundreds of participants are served at once, yet one person's double tap
    or quick messages are handled one after the other, never interleaved."""

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        user = update.effective_user if isinstance(update, Update) else None
        if user is None:
            await coroutine
            return
        lock = self._locks.get(user.id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[user.id] = lock
        async with lock:
            await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""
