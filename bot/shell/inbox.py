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
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.error import Conflict, Forbidden, InvalidToken, TelegramError

from bot.shell import turn as turns
from bot.shell.logs import event
from bot.shell.render import Pressed, cosmetic, send_replies
from bot.shell.turn import Turn
from bot.shell.update_json import INT64, problem, scrubbed
from flows.replies import Out, Reply, encode
from flows.strings import Strings
from store import inbox, outbox, participants
from store.db import cannot_write
from store.inbox import Incoming

if TYPE_CHECKING:
    from bot.shell.context import BotApp

__all__ = ["Inbox", "Poller", "person_of"]

log = logging.getLogger(__name__)
TRIES = 3  # a handler that fails this often in a row has its update parked
RETRY_DELAY = 0.5  # seconds, times the attempt
CONCURRENT = 256  # people handled at once (each one's updates in order)
KEEP_HANDLED = timedelta(days=2)  # Telegram redelivers for a day at most
READ_MARGIN = 5.0  # seconds past the long poll's own timeout before a read gives up
PARKED_RETRY = 5.0  # seconds before an update that could not even be parked is tried again


def person_of(update: Update) -> int:
    """Whose updates must run one after the other: the user's (else the chat's)."""
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return 0


class Inbox:
    """Stores what arrives, then handles it: in order per person, concurrently across."""

    def __init__(self, application: BotApp) -> None:
        self.app = application
        self._queues: dict[int, deque[tuple[int, Update]]] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._slots = asyncio.Semaphore(CONCURRENT)
        self._stopping = False
        self._told: set[int] = set()  # updates whose person was told they wait

    @property
    def queued(self) -> int:
        return sum(len(queue) for queue in self._queues.values())

    async def resume(self) -> int:
        """At start: every update stored but not handled goes first, oldest first."""
        rows = await inbox.pending(self.app.bot_data.store)
        for row in rows:
            assert row.payload is not None
            try:
                update = Update.de_json(row.payload, self.app.bot)
            except Exception as exc:  # stored by another version of the bot, perhaps
                await self._park_unreadable(row.update_id, f"unreadable: {exc!r}")
                continue
            self._enqueue(row.update_id, row.person, update)
        if rows:
            event(log, "inbox_resumed", pending=len(rows))
        return len(rows)

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
                update = Update.de_json(item, self.app.bot)
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
            data = self.app.bot_data
            now = data.clock.now()
            fresh = await inbox.receive(
                data.store, [Incoming(uid, person, item) for uid, person, item, _ in aside], now
            )
            for update_id, _, _, reason in aside:
                if update_id in fresh:
                    await self._park_unreadable(update_id, reason)
        return await self.receive(updates)

    async def receive(self, updates: Sequence[Update]) -> list[int]:
        """Store updates (one transaction); only then may they be confirmed to Telegram.
        A redelivered one is ignored. Returns the ids that were new."""
        data = self.app.bot_data
        incoming = [Incoming(u.update_id, person_of(u), u.to_dict()) for u in updates]
        fresh = set(await inbox.receive(data.store, incoming, data.clock.now()))
        for update, item in zip(updates, incoming, strict=True):
            if update.update_id in fresh:
                self._enqueue(update.update_id, item.person, update)
            else:
                event(log, "duplicate_update", update=update.update_id)
        return sorted(fresh)

    async def tell_waiting(self, updates: Sequence[Update]) -> None:
        """The database could not take these updates (full, locked): they stay with
        Telegram, unconfirmed, and come again. Each person is told once that theirs
        is waiting, so nobody sends it twice."""
        content = self.app.bot_data.content
        for update in updates:
            chat, user = update.effective_chat, update.effective_user
            if update.update_id in self._told or chat is None or chat.type != "private":
                continue
            self._told.add(update.update_id)
            language = content.pick_language(user.language_code if user else None)
            await self._answer_press(update, None)
            await self._send_directly(chat.id, [Reply(content.strings(language)("errors.waiting"))])
        if len(self._told) > 10_000:
            self._told.clear()

    def stop(self) -> None:
        """Start no more updates; those in hand finish (the rest wait in the table)."""
        self._stopping = True

    async def drain(self) -> None:
        """Wait until no update is in hand."""
        while self._workers:
            await asyncio.gather(*self._workers.values(), return_exceptions=True)

    async def purge(self) -> int:
        data = self.app.bot_data
        return await inbox.purge_handled(data.store, data.clock.now() - KEEP_HANDLED)

    def _enqueue(self, update_id: int, person: int, update: Update) -> None:
        self._queues.setdefault(person, deque()).append((update_id, update))
        if person not in self._workers and not self._stopping:
            self._workers[person] = asyncio.create_task(self._work(person), name=f"inbox-{person}")

    async def _work(self, person: int) -> None:
        try:
            while not self._stopping and (queue := self._queues.get(person)):
                update_id, update = queue.popleft()
                async with self._slots:
                    try:
                        await self.handle(update_id, update)
                    except Exception:  # a bug here must not strand the person's queue
                        log.exception("update %s: handling stopped unexpectedly", update_id)
        finally:
            del self._workers[person]
            if not self._queues.get(person):
                self._queues.pop(person, None)

    async def handle(self, update_id: int, update: Update) -> None:
        """One update: the handlers' writes, its replies and its mark in one transaction,
        then the replies; tried again on failure, parked after TRIES."""
        failure: BaseException | None = None
        for attempt in range(1, TRIES + 1):
            try:
                await self._try_once(update_id, update)
                return
            except Exception as exc:
                failure = exc
                event(
                    log,
                    "handler_failed",
                    logging.WARNING,
                    update=update_id,
                    attempt=attempt,
                    error=type(exc).__name__,
                )
                if attempt < TRIES:
                    await asyncio.sleep(RETRY_DELAY * attempt)
        assert failure is not None
        while not await self._park(update_id, update, failure) and not self._stopping:
            # Not even the parking could be written (the database is full or locked):
            # the update stays pending, the person is told it waits, and it goes again.
            await self.tell_waiting([update])
            await asyncio.sleep(PARKED_RETRY)
            try:
                await self._try_once(update_id, update)
                return
            except Exception as exc:
                failure = exc

    async def _try_once(self, update_id: int, update: Update) -> None:
        """One turn: commit everything or raise (and nothing of it is kept)."""
        data = self.app.bot_data
        turn = Turn(update_id)
        token = turns.begin(turn)
        try:
            async with data.store.turn():
                if not await inbox.is_pending(data.store, update_id):
                    return  # handled (or parked) already
                await self.app.process_update(update)
                if turn.error is not None:
                    raise turn.error
                now = data.clock.now()
                rows = [
                    await self._queue_replies(update_id, update, chat, replies, pressed, now)
                    for chat, (replies, pressed) in turn.outgoing.items()
                    if replies
                ]
                await inbox.mark_handled(data.store, update_id, now)
        finally:
            turns.end(token)
        await self._deliver(update, turn, rows)

    async def _queue_replies(
        self,
        update_id: int,
        update: Update,
        chat_id: int,
        replies: Sequence[Out],
        pressed: Pressed | None,
        now: datetime,
    ) -> outbox.OutboxItem:
        payload: dict[str, Any] = {"replies": encode(replies)}
        if pressed is not None:
            payload["pressed"] = {"message_id": pressed.message_id, "buttons": pressed.has_buttons}
        return await outbox.enqueue_reply(
            self.app.bot_data.store,
            dedup_key=f"reply:{update_id}:{chat_id}",
            participant_id=person_of(update),
            chat_id=chat_id,
            payload=payload,
            now=now,
        )

    async def _deliver(self, update: Update, turn: Turn, rows: list[outbox.OutboxItem]) -> None:
        """After the commit: the press answered first (never behind bulk sends), then
        the replies; what cannot go now stays in the outbox."""
        await self._answer_press(update, turn.toast)
        for row in rows:
            await self.app.bot_data.dispatcher.deliver_reply(row)
        for work in turn.after:
            try:
                await work()
            except Exception:
                log.exception("after update %s: a follow-up step failed", update.update_id)

    async def _answer_press(self, update: Update, toast: str | None) -> None:
        query = update.callback_query
        if query is None:
            return
        with contextlib.suppress(Forbidden):  # nothing to do if even that is refused
            await cosmetic("answering the press", partial(query.answer, toast or None))

    async def _park(self, update_id: int, update: Update, failure: BaseException) -> bool:
        """Set the update aside, tell the person, and go on with their next ones."""
        data = self.app.bot_data
        log.error(
            "handler failed %d times for update %s; parked", TRIES, update_id, exc_info=failure
        )
        unsaved = cannot_write(failure)
        chat = update.effective_chat
        replies: list[Reply] = []
        if chat is not None:
            strings = await self._strings(update)
            key = "errors.not_saved" if unsaved else "errors.something_went_wrong"
            replies = [Reply(strings(key))]
        turn = Turn(update_id)
        row = None
        try:
            async with data.store.turn():  # its writes join one transaction
                now = data.clock.now()
                await inbox.park(data.store, update_id, TRIES, repr(failure), now)
                if chat is not None:
                    row = await self._queue_replies(update_id, update, chat.id, replies, None, now)
        except Exception:
            log.exception("could not park update %s", update_id)
            return False
        await self._deliver(update, turn, [row] if row is not None else [])
        return True

    async def _send_directly(self, chat_id: int, replies: list[Reply]) -> None:
        try:
            await send_replies(self.app.bot, chat_id, replies)
        except TelegramError as exc:
            log.warning("could not tell chat %s about the failure: %s", chat_id, exc)

    async def _strings(self, update: Update) -> Strings:
        content = self.app.bot_data.content
        language = None
        user = update.effective_user
        if user is not None:
            try:
                known = await participants.get(self.app.bot_data.store, user.id)
            except Exception:
                known = None
            language = known.language if known else content.pick_language(user.language_code)
        return content.strings(language)

    async def _park_unreadable(self, update_id: int, reason: str) -> None:
        data = self.app.bot_data
        log.error("update %s cannot be handled (%s); parked", update_id, reason)
        await inbox.park(data.store, update_id, 0, reason, data.clock.now())


class Poller:
    """Long polling that confirms only what is stored: the offset sent with the next
    getUpdates is past the last update the inbox holds, never past one it lacks."""

    def __init__(self, application: BotApp, inbox_: Inbox, timeout: float) -> None:
        self.app = application
        self.inbox = inbox_
        self.timeout = timeout
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="inbox-poller")

    async def stop(self) -> None:
        """Stop polling (an update fetched but not stored is not confirmed: it comes again)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, InvalidToken):
                await self._task
            self._task = None

    async def _run(self) -> None:
        bot = self.app.bot
        # No offset at first: Telegram gives every update not yet confirmed, including
        # those stored before a crash (the inbox refuses them a second time).
        offset: int | None = None
        trouble = 0
        while True:
            try:
                raw = await bot.do_api_request(
                    "getUpdates",
                    api_kwargs={
                        "offset": offset,
                        "timeout": int(self.timeout),
                        "allowed_updates": Update.ALL_TYPES,
                    },
                    read_timeout=self.timeout + READ_MARGIN,
                )
            except InvalidToken:
                log.error("the Bot API refused the token; polling stops")
                raise
            except Conflict as exc:
                trouble += 1
                log.warning("getUpdates conflict (another instance polling?): %s", exc)
                await asyncio.sleep(min(30.0, 2.0 * trouble))
                continue
            except Exception as exc:  # network trouble, a 5xx, an answer we cannot read
                trouble += 1
                if trouble in (1, 10) or trouble % 100 == 0:
                    log.warning("getUpdates failed (%s); trying again", exc)
                await asyncio.sleep(min(5.0, 0.25 * trouble))
                continue
            trouble = 0
            if not isinstance(raw, list) or not raw:
                continue
            try:
                await self.inbox.receive_raw(raw)
            except Exception:
                # Not stored, so not confirmed: the same updates come with the next call.
                log.exception("could not store %d update(s); asking again", len(raw))
                await self.inbox.tell_waiting(_readable(raw, bot))
                await asyncio.sleep(1.0)
                continue
            offset = max(int(item["update_id"]) for item in raw) + 1


def _readable(raw: Sequence[dict[str, Any]], bot: Any) -> list[Update]:
    found = []
    for item in raw:
        with contextlib.suppress(Exception):
            found.append(Update.de_json(item, bot))
    return found
