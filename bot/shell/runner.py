"""One update handled as one turn: its writes, replies and mark committed together, then
the replies sent; tried again on failure, parked (and the person told) after TRIES."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from telegram import Bot, Update
from telegram.error import Forbidden, TelegramError

from bot.services.container import Services
from bot.services.sender import Pressed
from bot.shell import turn as turns
from bot.shell.logs import event
from bot.shell.patience import cosmetic
from bot.shell.render import send_replies
from bot.shell.turn import Turn
from flows.replies import Out, Reply, encode
from flows.strings import Strings
from store import inbox, outbox, participants
from store.errors import NotSaved

__all__ = ["PARKED_RETRY", "RETRY_DELAY", "TRIES", "Process", "Runner", "person_of"]

log = logging.getLogger(__name__)
TRIES = 3  # a handler that fails this often in a row has its update parked
RETRY_DELAY = 0.5  # seconds, times the attempt
PARKED_RETRY = 5.0  # seconds before an update that could not even be parked is tried again

Process = Callable[[Update], Awaitable[None]]  # PTB's Application.process_update
# Another process has the person's turn: ask again after 10 ms, 20 ms … at most 200 ms,
# and after 10 s wait for it inside the turn.
BUSY_FIRST, BUSY_MOST, BUSY_PATIENCE = 0.01, 0.2, 10.0


class _PersonBusy(Exception):
    """Another process handles one of this person's updates right now."""


def person_of(update: Update) -> int:
    """Whose updates must run one after the other: the user's (else the chat's)."""
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return 0


class Runner:
    """Runs the handlers on one update inside the store's turn, and says what they owe."""

    def __init__(self, services: Services, bot: Bot, process: Process) -> None:
        self.services = services
        self.bot = bot
        self.process = process
        self.stopping = False
        self._told: set[int] = set()  # updates whose person was told they wait

    async def handle(self, update_id: int, update: Update) -> None:
        """One update: the handlers' writes, its replies and its mark in one transaction,
        then the replies; tried again on failure, parked after TRIES.

        With several processes, the person's updates another process stored earlier
        and has not handled yet go first (whoever gets to one first handles it; the
        other finds it handled), so each person's updates run in the order they came."""
        person = person_of(update)
        if self.services.store.shared and person:
            for row in await inbox.earlier_pending(self.services.store, person, update_id):
                assert row.payload is not None
                try:
                    earlier = Update.de_json(row.payload, self.bot)
                except Exception as exc:  # stored by another version of the bot, perhaps
                    await self.park_unreadable(row.update_id, f"unreadable: {exc!r}")
                    continue
                await self._handle_one(row.update_id, earlier)
        await self._handle_one(update_id, update)

    async def _handle_one(self, update_id: int, update: Update) -> None:
        failure: BaseException | None = None
        for attempt in range(1, TRIES + 1):
            try:
                await self._in_turn(update_id, update)
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
        while not await self._park(update_id, update, failure) and not self.stopping:
            # Not even the parking could be written (the database is full or locked):
            # the update stays pending, the person is told it waits, and it goes again.
            await self.tell_waiting([update])
            await asyncio.sleep(PARKED_RETRY)
            try:
                await self._try_once(update_id, update)
                return
            except Exception as exc:
                failure = exc

    async def tell_waiting(self, updates: Sequence[Update]) -> None:
        """The database could not take these updates (full, locked): they stay with
        Telegram, unconfirmed, and come again. Each person is told once that theirs
        is waiting, so nobody sends it twice."""
        content = self.services.content
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

    async def park_unreadable(self, update_id: int, reason: str) -> None:
        log.error("update %s cannot be handled (%s); parked", update_id, reason)
        services = self.services
        await inbox.park(services.store, update_id, 0, reason, services.clock.now())

    async def _in_turn(self, update_id: int, update: Update) -> None:
        """One turn, once the person is free: while another process handles one of
        theirs, this process's other writes go on and this one asks again shortly
        (waiting inside the turn would hold the process's one writer); after
        BUSY_PATIENCE it waits in the turn (and a lock timeout is a failed try)."""
        delay, began = BUSY_FIRST, time.monotonic()
        while True:
            try:
                await self._try_once(
                    update_id, update, wait=time.monotonic() - began > BUSY_PATIENCE
                )
                return
            except _PersonBusy:
                await asyncio.sleep(delay)  # the other process's turn takes milliseconds
                delay = min(2 * delay, BUSY_MOST)

    async def _try_once(self, update_id: int, update: Update, *, wait: bool = True) -> None:
        """One turn: commit everything or raise (and nothing of it is kept)."""
        services = self.services
        turn = Turn(update_id)
        token = turns.begin(turn)
        try:
            async with services.store.turn():
                # One turn per person at a time across processes (nothing to wait for on
                # SQLite, whose one writer holds the whole database).
                key = f"person:{person_of(update)}"
                if wait:
                    await services.store.lock(key)
                elif not await services.store.try_lock(key):
                    raise _PersonBusy
                if not await inbox.is_pending(services.store, update_id):
                    return  # handled (or parked) already
                await self.process(update)
                if turn.error is not None:
                    raise turn.error
                now = services.clock.now()
                rows = [
                    await self._queue_replies(update_id, update, chat, replies, pressed, now)
                    for chat, (replies, pressed) in turn.outgoing.items()
                    if replies
                ]
                await inbox.mark_handled(services.store, update_id, now)
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
        dispatcher = self.services.dispatcher
        row = await outbox.enqueue_reply(
            self.services.store,
            dedup_key=f"reply:{update_id}:{chat_id}",
            participant_id=person_of(update),
            chat_id=chat_id,
            payload=payload,
            now=now,
            taken=dispatcher.leading,
        )
        if not dispatcher.leading:
            await dispatcher.wake()  # inside the turn: the leader hears of it at the commit
        return row

    async def _deliver(self, update: Update, turn: Turn, rows: list[outbox.OutboxItem]) -> None:
        """After the commit: the press answered first (never behind bulk sends), then
        the replies; what cannot go now stays in the outbox."""
        await self._answer_press(update, turn.toast)
        for row in rows:
            await self.services.dispatcher.deliver_reply(row)
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
        services = self.services
        log.error(
            "handler failed %d times for update %s; parked", TRIES, update_id, exc_info=failure
        )
        unsaved = isinstance(failure, NotSaved)
        chat = update.effective_chat
        replies: list[Reply] = []
        if chat is not None:
            strings = await self._strings(update)
            key = "errors.not_saved" if unsaved else "errors.something_went_wrong"
            replies = [Reply(strings(key))]
        turn = Turn(update_id)
        row = None
        try:
            async with services.store.turn():  # its writes join one transaction
                await services.store.lock(f"person:{person_of(update)}")  # as every turn
                now = services.clock.now()
                parked = await inbox.park(services.store, update_id, TRIES, repr(failure), now)
                # Handled meanwhile (another process adopted it): no apology for it.
                if chat is not None and parked:
                    row = await self._queue_replies(update_id, update, chat.id, replies, None, now)
        except Exception:
            log.exception("could not park update %s", update_id)
            return False
        await self._deliver(update, turn, [row] if row is not None else [])
        return True

    async def _send_directly(self, chat_id: int, replies: list[Reply]) -> None:
        try:
            await send_replies(self.bot, chat_id, replies)
        except TelegramError as exc:
            log.warning("could not tell chat %s about the failure: %s", chat_id, exc)

    async def _strings(self, update: Update) -> Strings:
        content = self.services.content
        language = None
        user = update.effective_user
        if user is not None:
            try:
                known = await participants.get(self.services.store, user.id)
            except Exception:
                known = None
            language = known.language if known else content.pick_language(user.language_code)
        return content.strings(language)
