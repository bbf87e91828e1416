"""Telegram HTML as Telegram counts it: lengths in UTF-16 units, cuts that keep tags whole."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_CAPTION", "MAX_TEXT", "plain_cut", "shown_length", "split_html", "utf16_len"]

MAX_TEXT = 4096  # a message's text, in UTF-16 units once parsed
MAX_CAPTION = 1024  # a file's caption
# What Telegram's HTML parsing turns into nothing (a tag) or one character (an entity).
_MARKUP = re.compile(r"<[^>]*>|&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#x([0-9a-fA-F]{1,6}));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TOKEN = re.compile(r"(?P<tag><[^>]*>)|(?P<entity>&[#a-zA-Z0-9]+;)|(?P<text>[^<&]+|[<&])")
_TAG_NAME = re.compile(r"</?([a-zA-Z][a-zA-Z0-9-]*)")
_ZWJ = "\u200d"


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
