"""After an erase: SQLite's WAL checkpointed and truncated, so no copy of the erased stays.

What was in flight when a person was erased (a reply quoting them to an organiser, the
reply to /forget itself) is deleted once delivered, and that deletion's WAL copy must
not outlive it: so for `WINDOW_S` after an erase every commit is followed by a
truncating checkpoint. On PostgreSQL a checkpoint is nothing to do (docs/security.md).
"""

from __future__ import annotations

import asyncio
import logging
import time

from store.link import Link
from store.lock import WriteLock

__all__ = ["WINDOW_S", "Scrub"]

WINDOW_S = 600.0

log = logging.getLogger("store.db")


class Scrub:
    """What an erase owes the files: owed once, then after every commit for a while."""

    def __init__(self) -> None:
        self._until = 0.0  # monotonic
        self.owed = False  # a scrub that could not finish yet

    def after_commit(self) -> None:
        self.owed = True
        self._until = time.monotonic() + WINDOW_S

    async def after_write(self, conn: Link) -> None:
        """With the write lock still held and no transaction open: the scrub, if owed."""
        if self.owed or time.monotonic() < self._until:
            self.owed = not await conn.checkpoint()

    async def last(self, conn: Link, lock: WriteLock, where: object) -> None:
        """Before closing (a command that erased, say): keep trying for a while, for
        another process's reader may hold the WAL; then say plainly what is left."""
        for wait in (0.5, 1, 2, 4, 8):
            async with lock.held():
                if await conn.checkpoint(quiet=True):
                    self.owed = False
                    return
            await asyncio.sleep(wait)
        log.error(
            "%s: the WAL still holds erased data (another process keeps reading it); it is "
            "truncated when the bot next erases someone or starts",
            where,
        )
