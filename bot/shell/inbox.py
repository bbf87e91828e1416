"""The way in: updates stored before they are confirmed, handled from the table.

    Telegram ──getUpdates / webhook──▶ inbox row (unique update_id) ──▶ confirm
        (the next offset, the webhook's 200)
    inbox row ──per person, in order──▶ one turn: BEGIN · handlers · reply rows ·
        mark handled · COMMIT ──▶ answer the press, send the replies (ahead of bulk)

A kill before the commit leaves the update pending: it is handled afresh at the
next start, and nothing of it was kept. A kill after the commit leaves the reply
rows in the outbox: the dispatcher sends them after the restart. The one window
left is the outbox's: Telegram took a reply, the kill came before it was marked
sent, and the reply arrives twice (an answer is never stored twice).

Here: the intake and the queues per person. The turn is run by bot/shell/runner.py,
polling by bot/shell/poller.py, the webhook by bot/shell/webhook.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from telegram import Bot, Update

from bot.services.container import Services
from bot.shell.logs import event
from bot.shell.runner import Process, Runner, person_of
from bot.shell.update_json import INT64, problem, scrubbed
from store import inbox
from store.inbox import Incoming

__all__ = ["Inbox"]

log = logging.getLogger(__name__)
CONCURRENT = 256  # people handled at once (each one's updates in order)
KEEP_HANDLED = timedelta(days=2)  # Telegram redelivers for a day at most
# With several processes: an update pending this long was left by one that died.
ORPHANED_AFTER = timedelta(seconds=10)


class Inbox:
    """Stores what arrives, then handles it: in order per person, concurrently across."""

    def __init__(self, services: Services, bot: Bot, process: Process) -> None:
        self.services = services
        self.bot = bot
        self.runner = Runner(services, bot, process)
        self._queues: dict[int, deque[tuple[int, Update]]] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._slots = asyncio.Semaphore(CONCURRENT)
        self._stopping = False
        self._in_hand: set[int] = set()  # update ids queued or being handled here

    @property
    def queued(self) -> int:
        return sum(len(queue) for queue in self._queues.values())

    async def resume(self) -> int:
        """At start: every update stored but not handled goes first, oldest first."""
        rows = await inbox.pending(self.services.store)
        await self._take_up(rows)
        if rows:
            event(log, "inbox_resumed", pending=len(rows))
        return len(rows)

    async def adopt(self) -> int:
        """With several processes (the leader, every few seconds): updates another
        process stored and left pending a while, because it died, are handled here.
        One still in hand there is not handled twice: each turn holds its person's
        lock and handles only what is pending still."""
        services = self.services
        since = services.clock.now() - ORPHANED_AFTER
        rows = [
            row
            for row in await inbox.pending_since(services.store, since)
            if row.update_id not in self._in_hand
        ]
        await self._take_up(rows)
        if rows:
            event(log, "inbox_adopted", pending=len(rows))
        return len(rows)

    async def _take_up(self, rows: Sequence[inbox.InboxItem]) -> None:
        for row in rows:
            assert row.payload is not None
            try:
                update = Update.de_json(row.payload, self.bot)
            except Exception as exc:  # stored by another version of the bot, perhaps
                await self.runner.park_unreadable(row.update_id, f"unreadable: {exc!r}")
                continue
            self._enqueue(row.update_id, row.person, update)

    async def receive_raw(self, raw: Sequence[dict[str, Any]]) -> list[int]:
        """Updates as Telegram sent them: each read on its own, so one that cannot be
        read (a newer Bot API) or stored as it is (an integer past 64 bits, a lone
        surrogate) is stored scrubbed and parked instead of stopping the others."""
        updates: list[Update] = []
        aside: list[tuple[int, int, dict[str, Any], str]] = []  # id, person, JSON, why
        for item in raw:
            update_id = item.get("update_id")
            if not isinstance(update_id, int) or update_id not in INT64:
                # No row can hold it, so none can refuse it again: confirmed, not kept.
                log.error("update %r cannot be stored (its update_id); dropped", update_id)
                continue
            try:
                update = Update.de_json(item, self.bot)
            except Exception as error:
                aside.append((update_id, 0, scrubbed(item), f"unreadable: {error!r}"))
                continue
            reason = problem(item)
            if reason is not None:
                person = person_of(update)
                person = person if person in INT64 else 0
                aside.append((update_id, person, scrubbed(item), f"unstorable: {reason}"))
                continue
            updates.append(update)
        if aside:
            services = self.services
            now = services.clock.now()
            fresh = await inbox.receive(
                services.store,
                [Incoming(uid, person, item) for uid, person, item, _ in aside],
                now,
            )
            for update_id, _, _, reason in aside:
                if update_id in fresh:
                    await self.runner.park_unreadable(update_id, reason)
        return await self.receive(updates)

    async def receive(self, updates: Sequence[Update]) -> list[int]:
        """Store updates (one transaction); only then may they be confirmed to Telegram.
        A redelivered one is ignored. Returns the ids that were new."""
        services = self.services
        incoming = [Incoming(u.update_id, person_of(u), u.to_dict()) for u in updates]
        fresh = set(await inbox.receive(services.store, incoming, services.clock.now()))
        for update, item in zip(updates, incoming, strict=True):
            if update.update_id in fresh:
                self._enqueue(update.update_id, item.person, update)
            else:
                event(log, "duplicate_update", update=update.update_id)
        return sorted(fresh)

    async def tell_waiting(self, updates: Sequence[Update]) -> None:
        """Updates the database could not take: each person is told once that theirs waits."""
        await self.runner.tell_waiting(updates)

    def stop(self) -> None:
        """Start no more updates; those in hand finish (the rest wait in the table)."""
        self._stopping = self.runner.stopping = True

    async def drain(self) -> None:
        """Wait until no update is in hand."""
        while self._workers:
            await asyncio.gather(*self._workers.values(), return_exceptions=True)

    async def purge(self) -> int:
        services = self.services
        return await inbox.purge_handled(services.store, services.clock.now() - KEEP_HANDLED)

    def _enqueue(self, update_id: int, person: int, update: Update) -> None:
        self._in_hand.add(update_id)
        self._queues.setdefault(person, deque()).append((update_id, update))
        if person not in self._workers and not self._stopping:
            self._workers[person] = asyncio.create_task(self._work(person), name=f"inbox-{person}")

    async def _work(self, person: int) -> None:
        try:
            while not self._stopping and (queue := self._queues.get(person)):
                update_id, update = queue.popleft()
                async with self._slots:
                    try:
                        await self.runner.handle(update_id, update)
                    except Exception:  # a bug here must not strand the person's queue
                        log.exception("update %s: handling stopped unexpectedly", update_id)
                    finally:
                        self._in_hand.discard(update_id)
        finally:
            del self._workers[person]
            if not self._queues.get(person):
                self._queues.pop(person, None)
