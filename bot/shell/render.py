"""Replies (plain values from flows/) to Telegram: HTML, chunks under the limit, keyboards."""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.warnings import PTBUserWarning

from bot.base.telegram_text import MAX_CAPTION, shown_length, split_html
from bot.services.sender import Pressed, Sent
from bot.shell.patience import cosmetic, patiently
from flows.replies import Button, ClearButtons, Document, Out, Photo, Reply

__all__ = ["MAX_CALLBACK_DATA", "Shown", "keyboard", "send_replies"]

MAX_CALLBACK_DATA = 64
SEND_MESSAGE = "sendMessage"
# do_api_request suggests the typed method for endpoints PTB knows; `_send_unread` and the
# inbox's poller (raw updates, read one by one) mean it.
warnings.filterwarnings(
    "ignore", message=r"Please use 'Bot\.(sendMessage|getUpdates)'", category=PTBUserWarning
)
GONE = ("not found", "can't be edited", "message to edit not found")


@dataclass(slots=True)
class Shown:
    """What replies did in a chat: the ids of the messages sent or edited, in order, and
    the messages sent with buttons, edited, or whose buttons were taken off."""

    message_ids: list[int] = field(default_factory=list)
    changed: list[Sent] = field(default_factory=list)


def _callbacks(rows: Sequence[Sequence[Button]]) -> tuple[str, ...]:
    return tuple(button.data for row in rows for button in row if button.data and not button.url)


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


async def send_replies(
    bot: Bot,
    chat_id: int,
    replies: Sequence[Out],
    *,
    pressed: Pressed | None = None,
    patient: bool = True,
    paid: bool = False,
    read_answers: bool = True,
) -> Shown:
    """Show replies in a chat; an `edit` reply replaces the message whose button was pressed,
    and `ClearButtons` takes the buttons off it (or off the message it names), so an old
    card cannot be pressed again.

    `patient`: on a 429, wait and retry (a person is waiting for this answer); the
    outbox dispatcher passes False and reschedules instead — but once a row's first
    message is out, the rest of it waits too, so a retry never repeats that message.
    `read_answers=False` (the outbox): text goes out without building PTB's objects
    from Telegram's answers.
    """
    sent = 0  # messages out so far: after the first, a 429 is waited out (see `patient`)
    shown = Shown()
    for reply in replies:
        if isinstance(reply, ClearButtons):
            target = reply.message_id
            if not target and pressed is not None and pressed.has_buttons:
                target = pressed.message_id
            if target:
                clear = partial(bot.edit_message_reply_markup, chat_id, target, reply_markup=None)
                await cosmetic("taking old buttons off", clear)
                shown.changed.append(Sent(target))
            continue
        if isinstance(reply, Document | Photo):
            caption, rest = _caption(reply.caption)
            send_file = partial(_send_file, bot, chat_id, replace(reply, caption=caption))
            shown.message_ids.append((await patiently(send_file, patient or sent > 0)).message_id)
            sent += 1
            if rest:  # a caption over Telegram's 1024 follows the file as a message
                more = await send_replies(bot, chat_id, [Reply(rest)], patient=True)
                shown.message_ids += more.message_ids
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
                edited = await patiently(edit, patient or sent > 0)
            except BadRequest as exc:
                if "not modified" in exc.message:
                    continue
                if not any(gone in exc.message for gone in GONE):
                    raise
                # The message is gone or too old to edit: the reply arrives as a new one.
            else:
                sent += 1
                if isinstance(edited, Message):
                    shown.message_ids.append(edited.message_id)
                shown.changed.append(Sent(pressed.message_id, _callbacks(reply.buttons)))
                continue
        chunks = split_html(reply.html)
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            send: Callable[[], Awaitable[Message | int]]
            if read_answers:
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
            message: Message | int = await patiently(send, patient or sent > 0)
            sent += 1
            if isinstance(message, Message):
                message = message.message_id
            shown.message_ids.append(message)
            if last and reply.buttons:
                shown.changed.append(Sent(message, _callbacks(reply.buttons)))
    return shown


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
