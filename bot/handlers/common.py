"""Handlers every update passes: remembering the participant, group chats, errors."""

from __future__ import annotations

import contextlib
import functools
import logging
import sqlite3
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.error import Forbidden, TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.context import BotContext
from bot.logs import event
from bot.render import send_replies
from flows.replies import ClearButtons, Out, Reply
from flows.strings import Strings
from store import participants

__all__ = ["logged", "on_error", "private_only", "remember_participant", "respond"]

log = logging.getLogger(__name__)
handled = logging.getLogger("bot.handled")
Callback = Callable[[Any, BotContext], Coroutine[Any, Any, Any]]
_KINDS = ("message", "callback_query", "edited_message", "my_chat_member", "channel_post")


def logged(callback: Callback) -> Callback:
    """The callback, writing one line per update it handles: update id, user, chat,
    kind, handler, milliseconds and outcome (never what anybody typed)."""
    name = f"{callback.__module__.rpartition('.')[2]}.{callback.__qualname__}"

    @functools.wraps(callback)
    async def run(update: Any, context: BotContext) -> Any:
        began, outcome = time.perf_counter(), "error"
        try:
            result = await callback(update, context)
            outcome = "ok"
            return result
        except ApplicationHandlerStop:
            outcome = "ok"
            raise
        finally:
            user, chat = update.effective_user, update.effective_chat
            event(
                handled,
                "handled",
                update=update.update_id,
                user=user.id if user else "-",
                chat=chat.id if chat else "-",
                kind=next((k for k in _KINDS if getattr(update, k) is not None), "other"),
                handler=name,
                ms=round(1000 * (time.perf_counter() - began), 1),
                outcome=outcome,
            )

    return run


async def respond(update: Update, context: BotContext, replies: Sequence[Out]) -> None:
    """Answers a button press (a toast if it was outdated) and shows the replies."""
    chat = update.effective_chat
    assert chat is not None
    query = update.callback_query
    pressed = query.message if query is not None else None
    if query is not None and not context.query_answered:
        stale = next((r.stale for r in replies if isinstance(r, ClearButtons) and r.stale), "")
        await query.answer(stale or None)
        context.query_answered = True
    await send_replies(
        context.bot, chat.id, replies, pressed=pressed if isinstance(pressed, Message) else None
    )


async def remember_participant(update: Update, context: BotContext) -> None:
    """Records who wrote (new or returning) so every later handler knows them."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != ChatType.PRIVATE or user.is_bot:
        return
    language = context.bot_data.content.pick_language(user.language_code)
    participant, context.participant_is_new = await participants.seen(
        context.store,
        telegram_id=user.id,
        chat_id=chat.id,
        first_name=user.first_name,
        last_name=user.last_name,
        username=user.username,
        language=language,
        now=context.clock.now(),
    )
    context.participant = participant
    if participant.reactivated:
        await context.bot_data.desk.restore_promises(participant, context.clock.now())


async def private_only(update: Update, context: BotContext) -> None:
    """In a group, answers only with a pointer to a private chat, and nothing else."""
    if update.message is not None:
        link = f"https://t.me/{context.bot.username}"
        text = _strings(update, context)("errors.private_only", link=link)
        await send_replies(context.bot, update.message.chat.id, [Reply(text)])
    raise ApplicationHandlerStop


def _strings(update: Update, context: BotContext) -> Strings:
    """The person's language: as they chose, else as their Telegram app is set."""
    if context.participant is not None or update.effective_user is None:
        return context.strings
    content = context.bot_data.content
    return content.strings(content.pick_language(update.effective_user.language_code))


async def on_error(update: object, context: BotContext) -> None:
    """Logs the failure with its update id and tells the person what became of it:
    their progress is safe, or (when the database could not write: disk full,
    locked too long) that this one message was not saved and should be sent again.
    Nothing else handles that update afterwards."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("handler failed for update %s", update_id, exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        await _tell(update, context)
    except Exception:
        log.exception("could not tell about the failure of update %s", update_id)
    raise ApplicationHandlerStop  # later groups would meet the same trouble


async def _tell(update: Update, context: BotContext) -> None:
    if update.effective_chat is None:
        return
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer()
    if isinstance(context.error, Forbidden):
        # They blocked the bot: keep their data, send them nothing more.
        if update.effective_user is not None:
            await participants.mark_blocked(context.store, update.effective_user.id)
        return
    # Disk full, locked too long, I/O: the step's transaction was rolled back.
    unsaved = isinstance(context.error, sqlite3.OperationalError)
    text = _strings(update, context)(
        "errors.not_saved" if unsaved else "errors.something_went_wrong"
    )
    try:
        await send_replies(context.bot, update.effective_chat.id, [Reply(text)])
    except TelegramError as exc:
        log.warning("could not tell chat %s about the failure: %s", update.effective_chat.id, exc)
