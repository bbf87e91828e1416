"""Replies (plain values from flows/) to Telegram: HTML, chunks under the limit, keyboards."""

from __future__ import annotations

import asyncio
import logging
import re
import unicodedata
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial
from typing import TypeVar

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import MessageLimit, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.warnings import PTBUserWarning

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

MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH
MAX_CAPTION = MessageLimit.CAPTION_LENGTH
MAX_CALLBACK_DATA = 64
PATIENCE = 3
SEND_MESSAGE = "sendMessage"
# do_api_request suggests the typed method for endpoints PTB knows; `_send_unread` and the
# inbox's poller (raw updates, read one by one) mean it.
warnings.filterwarnings(
    "ignore", message=r"Please use 'Bot\.(sendMessage|getUpdates)'", category=PTBUserWarning
)
T = TypeVar("T")
# What Telegram's HTML parsing turns into nothing (a tag) or one character (an entity).
_MARKUP = re.compile(r"<[^>]*>|&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#x([0-9a-fA-F]{1,6}));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TOKEN = re.compile(r"(?P<tag><[^>]*>)|(?P<entity>&[#a-zA-Z0-9]+;)|(?P<text>[^<&]+|[<&])")
_TAG_NAME = re.compile(r"</?([a-zA-Z][a-zA-Z0-9-]*)")
_ZWJ = "\u200d"
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


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts plain text (an emoji is often 2)."""
    return len(text.encode("utf-16-le")) // 2


def _as_shown(match: re.Match[str]) -> str:
    if match.group(1):
        return _NAMED[match.group(1)]
    if match.group(2) or match.group(3):
        code = int(match.group(2), 10) if match.group(2) else int(match.group(3), 16)
        if 0 < code < 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            return chr(code)
        return match.group(0)  # not a character: Telegram shows it as written
    return ""  # a tag


def shown_length(html: str) -> int:
    """How long Telegram counts a message or caption sent in HTML: the UTF-16 code units
    of its text once parsed, which is what its limits (4096, a caption 1024) are in.

    Tags count nothing, `&amp;` and the other entities Telegram knows one character, an
    emoji beyond the BMP two. Anything else counts as written (never less than Telegram).
    """
    if "<" not in html and "&" not in html:
        return utf16_len(html)
    return utf16_len(_MARKUP.sub(_as_shown, html))


def _clings(text: str, at: int) -> bool:
    """Whether text[at] belongs with text[at - 1]: a joiner, a skin tone, a variation
    selector, a combining mark, a keycap, the second half of a flag (👩🏽‍💻, 1️⃣, 🇳🇱)."""
    before, here = text[at - 1], text[at]
    if here == _ZWJ or before == _ZWJ or "\U0001f3fb" <= here <= "\U0001f3ff":
        return True
    if "\ufe00" <= here <= "\ufe0f" or "\U000e0020" <= here <= "\U000e007f":
        return True
    if unicodedata.category(here) in ("Mn", "Me", "Mc"):
        return True
    if _flag_half(here) and _flag_half(before):
        run = 1
        while run < at and _flag_half(text[at - 1 - run]):
            run += 1
        return run % 2 == 1  # an odd count before: `here` completes a flag
    return False


def _flag_half(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"  # a regional indicator: two make a flag


def plain_cut(text: str, room: int, *, force: bool = False) -> int:
    """How much of plain `text` (not HTML) fits in `room` UTF-16 units: after a line break
    or a space in the second half of that if there is one, never inside a character
    (Python cuts no surrogate pair) or inside an emoji made of several. 0 if nothing fits;
    `force` (a message with nothing else in it): rather cut that emoji than nothing.
    """
    if utf16_len(text) <= room:
        return len(text)
    end = used = 0
    for char in text:
        used += 2 if char > "\uffff" else 1
        if used > room:
            break
        end += 1
    whole = end
    while end > 0 and _clings(text, end):
        end -= 1
    if end == 0:
        return whole if force else 0
    for mark in ("\n", " "):
        if (at := text.rfind(mark, 0, end)) > end // 2:
            return at + 1
    return end


class _Chunks:
    """The messages split_html builds: each closes the tags still open where it ends,
    and the next opens them again, so every one parses on its own."""

    def __init__(self) -> None:
        self.done: list[str] = []
        self.parts: list[str] = []
        self.used = 0  # shown units of the message in hand
        self.opened: list[tuple[str, str]] = []  # (name, start tag) of the tags open
        self.reopen = ""

    def add(self, html: str, units: int) -> None:
        self.parts.append(html)
        self.used += units

    def tag(self, tag: str) -> None:
        self.parts.append(tag)
        name = _TAG_NAME.match(tag)
        if name is None:
            return
        if tag.startswith("</"):
            if self.opened and self.opened[-1][0] == name.group(1).lower():
                self.opened.pop()
        else:
            self.opened.append((name.group(1).lower(), tag))

    def flush(self) -> None:
        body = "".join(self.parts)
        if _MARKUP.sub(_as_shown, body).strip():
            closing = "".join(f"</{name}>" for name, _ in reversed(self.opened))
            self.done.append(self.reopen + body + closing)
        self.reopen = "".join(tag for _, tag in self.opened)
        self.parts.clear()
        self.used = 0


def split_html(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split HTML into messages of at most `limit` as Telegram counts them
    (`shown_length`), at line breaks where possible.

    A line too long on its own is cut at a space, never inside a tag, an entity such
    as `&amp;` or an emoji; a tag open across a cut (a long `<blockquote>`) is closed
    at its end and opened again in the next message, so each message parses alone.
    """
    if utf16_len(text) <= limit or shown_length(text) <= limit:
        return [text]
    chunks = _Chunks()
    for line in text.split("\n"):
        tokens = [(m.group(0), m.lastgroup) for m in _TOKEN.finditer(line)]
        units = shown_length(line)
        if chunks.parts and chunks.used + 1 + units <= limit:
            chunks.add("\n", 1)
        elif chunks.parts:
            chunks.flush()  # the line break between them goes with the cut
        for token, kind in tokens:
            if kind == "tag":
                chunks.tag(token)
                continue
            while (size := shown_length(token)) > limit - chunks.used:
                room, fresh = limit - chunks.used, not chunks.used
                cut = plain_cut(token, room, force=fresh) if kind == "text" else 0
                if not cut and fresh:
                    break  # a limit below one character: nothing smaller to send
                if cut:
                    chunks.add(token[:cut], shown_length(token[:cut]))
                    token = token[cut:]
                chunks.flush()
            chunks.add(token, size)
    chunks.flush()
    return chunks.done


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
