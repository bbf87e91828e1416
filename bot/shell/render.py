"""Replies (plain values from flows/) to Telegram: HTML, chunks under the limit, keyboards."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial
from typing import TypeVar

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.warnings import PTBUserWarning

from bot.base.telegram_text import (
    MAX_CAPTION,
    MAX_TEXT,
    plain_cut,
    shown_length,
    split_html,
    utf16_len,
)
from bot.shell.http import NotSent
from flows.replies import Button, ClearButtons, Document, Out, Photo, Reply

__all__ = [
    "MAX_TEXT",
    "Pressed",
    "Sent",
    "cosmetic",
    "keyboard",
    "plain_cut",
    "send_replies",
    "send_unread",
    "shown_length",
    "split_html",
    "utf16_len",
]

log = logging.getLogger(__name__)

MAX_CALLBACK_DATA = 64
PATIENCE = 3
SEND_MESSAGE = "sendMessage"
# do_api_request suggests the typed method for endpoints PTB knows; `_send_unread` and the
# inbox's poller (raw updates, read one by one) mean it.
warnings.filterwarnings(
    "ignore", message=r"Please use 'Bot\.(sendMessage|getUpdates)'", category=PTBUserWarning
)
T = TypeVar("T")
COSMETIC_WAIT = 3.0  # a 429 on a cosmetic call is waited out only this long
GONE = ("not found", "can't be edited", "message to edit not found")


@dataclass(frozen=True, slots=True)
class Pressed:
    """The message whose button was pressed: to edit it, or to take its buttons off."""

    message_id: int
    has_buttons: bool

    @classmethod
    def of(cls, message: Message | None) -> Pressed | None:
        if message is None:
            return None
        return cls(message.message_id, message.reply_markup is not None)


@dataclass(frozen=True, slots=True)
class Sent:
    """A message a reply sent, edited or took the buttons off, with the callback data of
    the buttons it carries now (none after `ClearButtons`)."""

    message_id: int
    callbacks: tuple[str, ...] = ()


def _callbacks(rows: Sequence[Sequence[Button]]) -> tuple[str, ...]:
    return tuple(button.data for row in rows for button in row if button.data and not button.url)


async def cosmetic(what: str, call: Callable[[], Awaitable[object]]) -> bool:
    """A call that only polishes (answering a press, taking old buttons off): a short
    429 or a refused request is tried once more, anything else is logged and skipped;
    it never aborts the reply it goes with. True when it went through."""
    for attempt in range(2):
        try:
            await call()
            return True
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            if attempt or seconds > COSMETIC_WAIT:
                log.info("skipped %s: 429, retry after %s s", what, seconds)
                return False
            await asyncio.sleep(seconds)
        except Forbidden:
            raise  # blocked: the caller stops sending altogether
        except (BadRequest, TimedOut) as exc:
            log.info("skipped %s: %s", what, exc)
            return False
        except NetworkError as exc:
            if attempt:
                log.info("skipped %s: %s", what, exc)
                return False
            await asyncio.sleep(0.5)
        except TelegramError as exc:
            log.info("skipped %s: %s", what, exc)
            return False
    return False


def keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    built: list[list[InlineKeyboardButton]] = []
    for row in rows:
        line = []
        for button in row:
            if button.url:
                line.append(InlineKeyboardButton(button.label, url=button.url))
                continue
            if not 1 <= len(button.data.encode()) <= MAX_CALLBACK_DATA:
                raise ValueError(f"callback data must be 1-64 bytes: {button.data!r}")
            line.append(InlineKeyboardButton(button.label, callback_data=button.data))
        built.append(line)
    return InlineKeyboardMarkup(built)


async def _patiently(call: Callable[[], Awaitable[T]], patient: bool) -> T:
    """A direct reply that meets Telegram's 429 waits as told; one the Bot API refused
    with a 5xx, or that found no connection, tries again after 0.5 s, then 1 s (a few
    times in all). A timeout or a connection lost after sending is not retried: that
    message may have arrived, and twice is worse."""
    for attempt in range(PATIENCE):
        try:
            return await call()
        except RetryAfter as exc:
            if not patient or attempt == PATIENCE - 1:
                raise
            wait = exc.retry_after
            await asyncio.sleep(wait.total_seconds() if isinstance(wait, timedelta) else wait)
        except (TimedOut, BadRequest):
            raise
        except NetworkError as exc:
            # PTB raises a 5xx answer itself (no cause); a lost answer has aiohttp's cause.
            refused = exc.__cause__ is None or isinstance(exc, NotSent)
            if not patient or not refused or attempt == PATIENCE - 1:
                raise
            await asyncio.sleep(0.5 * 2**attempt)
    raise AssertionError("unreachable")


async def send_replies(
    bot: Bot,
    chat_id: int,
    replies: Sequence[Out],
    *,
    pressed: Pressed | None = None,
    patient: bool = True,
    paid: bool = False,
) -> list[Message]:
    """Show replies in a chat; an `edit` reply replaces the message whose button was pressed,
    and `ClearButtons` takes the buttons off it (or off the message it names), so an old
    card cannot be pressed again.

    `patient`: on a 429, wait and retry (a person is waiting for this answer); the
    outbox dispatcher passes False and reschedules instead — but once a row's first
    message is out, the rest of it waits too, so a retry never repeats that message.
    """
    shown, _ = await _show(bot, chat_id, replies, pressed, patient, paid, receipts=True)
    return shown


async def send_unread(
    bot: Bot,
    chat_id: int,
    replies: Sequence[Out],
    *,
    pressed: Pressed | None = None,
    patient: bool = True,
    paid: bool = False,
) -> list[Sent]:
    """`send_replies` for the outbox, which needs no `Message` back: text goes out without
    building PTB's objects from Telegram's answers. Returns the messages that were sent
    with buttons, edited, or had their buttons taken off (to know which prompt is live)."""
    _, changed = await _show(bot, chat_id, replies, pressed, patient, paid, receipts=False)
    return changed


async def _show(
    bot: Bot,
    chat_id: int,
    replies: Sequence[Out],
    pressed: Pressed | None,
    patient: bool,
    paid: bool,
    *,
    receipts: bool,
) -> tuple[list[Message], list[Sent]]:
    sent = 0  # messages out so far: after the first, a 429 is waited out (see `patient`)
    shown: list[Message] = []
    changed: list[Sent] = []
    for reply in replies:
        if isinstance(reply, ClearButtons):
            target = reply.message_id
            if not target and pressed is not None and pressed.has_buttons:
                target = pressed.message_id
            if target:
                clear = partial(bot.edit_message_reply_markup, chat_id, target, reply_markup=None)
                await cosmetic("taking old buttons off", clear)
                changed.append(Sent(target))
            continue
        if isinstance(reply, Document | Photo):
            caption, rest = _caption(reply.caption)
            send_file = partial(_send_file, bot, chat_id, replace(reply, caption=caption))
            shown.append(await _patiently(send_file, patient or sent > 0))
            sent += 1
            if rest:  # a caption over Telegram's 1024 follows the file as a message
                shown += await send_replies(bot, chat_id, [Reply(rest)], patient=True)
                sent += 1
            continue
        markup = keyboard(reply.buttons)
        if reply.edit and pressed is not None:
            edit = partial(
                bot.edit_message_text,
                reply.html,
                chat_id=chat_id,
                message_id=pressed.message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
            try:
                edited = await _patiently(edit, patient or sent > 0)
            except BadRequest as exc:
                if "not modified" in exc.message:
                    continue
                if not any(gone in exc.message for gone in GONE):
                    raise
                # The message is gone or too old to edit: the reply arrives as a new one.
            else:
                sent += 1
                if isinstance(edited, Message):
                    shown.append(edited)
                changed.append(Sent(pressed.message_id, _callbacks(reply.buttons)))
                continue
        chunks = split_html(reply.html)
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            send: Callable[[], Awaitable[Message | int]]
            if receipts:
                send = partial(
                    bot.send_message,
                    chat_id,
                    chunk,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup if last else None,
                    allow_paid_broadcast=paid or None,
                )
            else:
                send = partial(_send_unread, bot, chat_id, chunk, markup if last else None, paid)
            message: Message | int = await _patiently(send, patient or sent > 0)
            sent += 1
            if isinstance(message, Message):
                shown.append(message)
                message = message.message_id
            if last and reply.buttons:
                changed.append(Sent(message, _callbacks(reply.buttons)))
    return shown, changed


def _caption(html: str) -> tuple[str, str]:
    """A caption as Telegram takes it (≤ 1024 once parsed), and what goes in a message
    after the file when it is longer: all of it, then, so nothing is cut in two."""
    if shown_length(html) <= MAX_CAPTION:
        return html, ""
    return "", html


async def _send_file(bot: Bot, chat_id: int, file: Document | Photo) -> Message:
    caption = file.caption or None
    if isinstance(file, Photo):
        return await bot.send_photo(
            chat_id, file.data, filename=file.filename, caption=caption, parse_mode=ParseMode.HTML
        )
    return await bot.send_document(
        chat_id, file.data, filename=file.filename, caption=caption, parse_mode=ParseMode.HTML
    )


async def _send_unread(
    bot: Bot, chat_id: int, html: str, markup: InlineKeyboardMarkup | None, paid: bool
) -> int:
    """sendMessage without turning Telegram's answer into a `Message` nobody reads; the
    sent message's id, read from the answer's JSON.

    At a thousand broadcast messages a second, building PTB's `Message` objects
    was a sixth of the bot's time. The request, its limits and its errors
    (`RetryAfter`, `Forbidden`…) are PTB's own, through the public `do_api_request`.
    """
    kwargs: dict[str, object] = {"chat_id": chat_id, "text": html, "parse_mode": ParseMode.HTML}
    if markup is not None:
        kwargs["reply_markup"] = markup
    if paid:
        kwargs["allow_paid_broadcast"] = True
    answer = await bot.do_api_request(SEND_MESSAGE, api_kwargs=kwargs)
    return int(answer["message_id"]) if isinstance(answer, dict) else 0
