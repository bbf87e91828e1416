"""Handlers every update passes: remembering the participant, group chats, errors."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Coroutine, Sequence
from functools import partial
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot.services.sender import Pressed
from bot.shell.context import BotContext
from bot.shell.logs import event
from bot.shell.patience import cosmetic
from bot.shell.render import send_replies
from bot.shell.turn import current
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
    """Answers a button press (a toast if it was outdated) and shows the replies.

    Inside the inbox's turn (every update) nothing goes out yet: the replies are kept
    and sent once the handler's writes are committed. Outside one, they go at once."""
    chat = update.effective_chat
    assert chat is not None
    query = update.callback_query
    message = query.message if query is not None else None
    pressed = Pressed.of(message if isinstance(message, Message) else None)
    stale = next((r.stale for r in replies if isinstance(r, ClearButtons) and r.stale), "")
    turn = current()
    if turn is not None:
        if query is not None and turn.toast is None:
            turn.toast = stale
        turn.add(chat.id, replies, pressed)
        return
    if query is not None and not context.query_answered:
        await cosmetic("answering the press", partial(query.answer, stale or None))
        context.query_answered = True
    await send_replies(context.bot, chat.id, replies, pressed=pressed)


async def remember_participant(update: Update, context: BotContext) -> None:
    """Records who wrote (new or returning) so every later handler knows them.

    Only a message or a press is writing: someone who used /forget and then blocks
    the bot, or edits an old message, is not stored again for it."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != ChatType.PRIVATE or user.is_bot:
        return
    if update.message is None and update.callback_query is None:
        context.participant = await participants.get(context.store, user.id)
        context.participant_is_new = False
        return
    language = context.content.pick_language(user.language_code)
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
        await context.desk.restore_promises(participant, context.clock.now())


async def private_only(update: Update, context: BotContext) -> None:
    """In a group, answers only with a pointer to a private chat, and nothing else."""
    if update.message is not None:
        link = f"https://t.me/{context.bot.username}"
        text = _strings(update, context)("errors.private_only", link=link)
        await respond(update, context, [Reply(text)])
    raise ApplicationHandlerStop


def _strings(update: Update, context: BotContext) -> Strings:
    """The person's language: as they chose, else as their Telegram app is set."""
    if context.participant is not None or update.effective_user is None:
        return context.strings
    content = context.content
    return content.strings(content.pick_language(update.effective_user.language_code))


async def on_error(update: object, context: BotContext) -> None:
    """A handler failed. Inside the inbox's turn the failure is handed back to it: the
    update's writes are rolled back and it is tried again, then parked with a word to
    the person (bot/shell/inbox.py). Outside one (a job), it is logged. Nothing else handles
    that update afterwards."""
    turn = current()
    mine = isinstance(update, Update) and turn is not None and update.update_id == turn.update_id
    if mine and turn is not None and context.error is not None:
        turn.error = context.error
        raise ApplicationHandlerStop
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("handler failed for update %s", update_id, exc_info=context.error)
    if isinstance(update, Update):
        raise ApplicationHandlerStop  # later groups would meet the same trouble
