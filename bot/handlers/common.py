"""Handlers every update passes: remembering the participant, group chats, errors."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence

from telegram import Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import Forbidden, TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.context import BotContext
from bot.render import send_replies
from flows.replies import ClearButtons, Out
from store import participants

__all__ = ["on_error", "private_only", "remember_participant", "respond"]

log = logging.getLogger(__name__)


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
    message = update.effective_message
    if message is not None and update.message is not None:
        link = f"https://t.me/{context.bot.username}"
        strings = context.bot_data.content.strings(
            context.bot_data.content.pick_language(
                update.effective_user.language_code if update.effective_user else None
            )
        )
        await message.reply_text(
            strings("errors.private_only", link=link), parse_mode=ParseMode.HTML
        )
    raise ApplicationHandlerStop


async def on_error(update: object, context: BotContext) -> None:
    """Logs the failure with its update id and tells the person their progress is safe."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("handler failed for update %s", update_id, exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer()
    if isinstance(context.error, Forbidden):
        # They blocked the bot: keep their data, send them nothing more.
        if update.effective_user is not None:
            await participants.mark_blocked(context.store, update.effective_user.id)
        return
    try:
        await context.bot.send_message(
            update.effective_chat.id,
            context.strings("errors.something_went_wrong"),
            parse_mode=ParseMode.HTML,
        )
    except TelegramError as exc:
        log.warning("could not tell chat %s about the failure: %s", update.effective_chat.id, exc)
