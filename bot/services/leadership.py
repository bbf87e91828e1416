"""Which process of several leads: it alone sends messages and runs the once-only jobs.

On SQLite one process owns the database and leads from the start. On PostgreSQL
every process campaigns for one session advisory lock, held on a connection of its
own (`Store.listener`): the holder leads until that connection goes (its process
died, stopped, or lost the database), when PostgreSQL lets the lock go and the next
process to try (every `RETRY_S`) takes over. The leader also LISTENs on
`WAKE_CHANNEL`, on which the others announce rows they queued (`Dispatcher.wake`).

A leader that loses its lock's connection must stop sending at once, for another
process may lead already: `lost` is set, and the shell stops the process (systemd
starts it again, as a follower).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from store.db import Store
from store.errors import StoreError
from store.postgres import Listener

__all__ = ["LEADER_KEY", "RETRY_S", "WAKE_CHANNEL", "Leadership"]

log = logging.getLogger(__name__)
LEADER_KEY = 0x6D6F6F64  # the advisory lock of the dispatcher leader ("mood")
WAKE_CHANNEL = "mooc_bot_outbox"  # NOTIFY: rows were queued, look at the outbox again
RETRY_S = 2.0  # a follower tries for the lock this often

Lead = Callable[[], Awaitable[None]]  # what the leader starts (the sending, the jobs)


class Leadership:
    """Campaigns for the lead; runs `on_lead` once when it has it."""

    def __init__(self, store: Store, *, retry: float = RETRY_S) -> None:
        self.store = store
        self.retry = retry
        self.leading = False
        self.lost = asyncio.Event()  # a leader's lock went with its connection
        self._listener: Listener | None = None
        self._campaign: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._then: list[Callable[[], None]] = []
        self._when_lost: list[Callable[[], None]] = []

    async def start(
        self, on_lead: Callable[[], Awaitable[None]], on_wake: Callable[[], None]
    ) -> None:
        """Lead now if nobody else does (always, on SQLite); else keep trying in the
        background and lead when the leader goes."""
        if not self.store.shared:
            self.leading = True
            await on_lead()
            return
        if await self._try(on_wake):
            await self._lead(on_lead)
            return
        self._campaign = asyncio.create_task(self._keep_trying(on_lead, on_wake), name="campaign")

    async def _keep_trying(self, on_lead: Lead, on_wake: Callable[[], None]) -> None:
        while True:
            if await self._try(on_wake):
                break
            await asyncio.sleep(self.retry)  # the lock has no queue to wait in: ask again
        await self._lead(on_lead)

    async def _try(self, on_wake: Callable[[], None]) -> bool:
        """One attempt: True with the lock held (and the wake-ups listened to)."""
        try:
            if self._listener is None or not self._listener.alive:
                listener = self.store.listener()
                assert listener is not None
                await listener.open()
                self._listener = listener
            if not await self._listener.try_lock(LEADER_KEY):
                return False
            await self._listener.listen(WAKE_CHANNEL, on_wake)
        except StoreError as exc:
            log.warning("cannot campaign for the lead now (%s); trying again", exc)
            await self._drop()
            return False
        self._listener.on_lost(self._on_lost)
        return True

    async def _lead(self, on_lead: Lead) -> None:
        self.leading = True
        log.info("this process leads: it sends the messages and runs the once-only jobs")
        if self._listener is not None:
            self._heartbeat = asyncio.create_task(self._beat(self._listener), name="heartbeat")
        try:
            await on_lead()
        except Exception:
            # Holding the lock without doing the leader's work would stop the cluster:
            # give it up (the process stops; another one, or this one restarted, leads).
            log.exception("could not start leading; giving the lead up")
            self._on_lost()
            await self._drop()
            return
        for then in self._then:
            then()
        self._then.clear()

    def when_lost(self, then: Callable[[], None]) -> None:
        """Run `then` at once if the lead is ever lost (to stop sending there and then)."""
        self._when_lost.append(then)

    def when_leading(self, then: Callable[[], None]) -> None:
        """Run `then` once this process leads (now, if it does)."""
        if self.leading:
            then()
        else:
            self._then.append(then)

    async def _beat(self, listener: Listener) -> None:
        """While leading: the lock's connection must keep answering. One cut off from
        the database (and so perhaps from its lock) stops sending within seconds."""
        while True:
            if not await listener.check(timeout=self.retry * 2):
                return  # `lost` is set: the shell stops the process
            await asyncio.sleep(self.retry)

    def _on_lost(self) -> None:
        if self.leading and not self.lost.is_set():
            log.error(
                "the leader's connection to PostgreSQL was lost; stopping, so that two "
                "processes never send at once (another one takes over)"
            )
            self.lost.set()
            for then in self._when_lost:
                then()
            self.leading = False

    async def _drop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(Exception):
                await listener.close()

    async def stop(self) -> None:
        """Give the lead up (another process takes over within `retry` seconds)."""
        for task in (self._campaign, self._heartbeat):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._campaign = self._heartbeat = None
        await self._drop()
