"""Telegram's HTML parse mode, as the Bot API applies it: text plus entities, or an error.

Only the tags Telegram accepts are allowed; an unknown tag, a stray `<` or an
unclosed tag is refused with the description Telegram gives, so a bot that
forgets to escape user text fails here as it would in production.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.base.telegram_text import utf16_len

__all__ = ["HtmlError", "parse_html", "utf16_len"]

_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)\s*>"
)
_ATTR = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?")
# As Telegram reads them: the `;` may be left out, and of the named ones only these four
# exist; any other `&` stays as it was written (and counts as long).
_ENTITY = re.compile(r"&(?:#x([0-9a-fA-F]*)|#([0-9]*)|([a-zA-Z]+));?")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class HtmlError(ValueError):
    """The text is not valid Telegram HTML; str() is Telegram's description."""


@dataclass
class _Open:
    tag: str
    entity: dict[str, Any] | None
    start: int


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _error(what: str, source: str, index: int) -> HtmlError:
    return HtmlError(f"Can't parse entities: {what} at byte offset {_byte_offset(source, index)}")


def _entity_for(tag: str, attrs: dict[str, str], at: int, source: str) -> dict[str, Any] | None:
    if tag in _SIMPLE:
        kind = _SIMPLE[tag]
        if tag == "blockquote" and "expandable" in attrs:
            kind = "expandable_blockquote"
        return {"type": kind}
    if tag == "span":
        if attrs.get("class") != "tg-spoiler":
            raise _error('tag "span" must have class "tg-spoiler"', source, at)
        return {"type": "spoiler"}
    if tag == "a":
        href = attrs.get("href", "")
        return {"type": "text_link", "url": href} if href else None
    if tag == "tg-emoji":
        return {"type": "custom_emoji", "custom_emoji_id": attrs.get("emoji-id", "")}
    raise _error(f'unsupported start tag "{tag}"', source, at)


def _character(match: re.Match[str]) -> str:
    hexadecimal, decimal, name = match.groups()
    if name is not None:
        return _NAMED.get(name, match.group(0))
    digits = hexadecimal if hexadecimal is not None else decimal
    code = int(digits, 16 if hexadecimal is not None else 10) if digits else 0
    written = len(match.group(0).removesuffix(";"))
    if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF or written >= 10:
        return match.group(0)
    return chr(code)


def _decode(fragment: str) -> str:
    return _ENTITY.sub(_character, fragment) if "&" in fragment else fragment


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Return (plain text, entities with UTF-16 offsets) or raise HtmlError."""
    out: list[str] = []
    length = 0  # in UTF-16 code units
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    pos = 0
    while pos < len(source):
        lt = source.find("<", pos)
        chunk = source[pos:] if lt < 0 else source[pos:lt]
        if chunk:
            text = _decode(chunk)
            out.append(text)
            length += utf16_len(text)
        if lt < 0:
            break
        match = _TAG.match(source, lt)
        if not match:
            raise _error('unsupported start tag ""', source, lt)
        closing, tag = match.group(1) == "/", match.group(2).lower()
        if closing:
            if not stack or stack[-1].tag != tag:
                expected = f'"</{stack[-1].tag}>"' if stack else "no end tag"
                raise HtmlError(
                    f"Can't parse entities: unmatched end tag at byte offset "
                    f'{_byte_offset(source, lt)}, expected {expected}, found "</{tag}>"'
                )
            opened = stack.pop()
            if opened.entity is not None and length > opened.start:
                entity = {**opened.entity, "offset": opened.start, "length": length - opened.start}
                entities.append(entity)
        else:
            attrs = {
                m.group(1).lower(): _decode(
                    next((g for g in m.group(2, 3, 4) if g is not None), "")
                )
                for m in _ATTR.finditer(match.group(3))
            }
            new = _entity_for(tag, attrs, lt, source)
            if tag == "code" and stack and stack[-1].tag == "pre" and stack[-1].entity is not None:
                language = attrs.get("class", "").removeprefix("language-")
                if language:
                    stack[-1].entity["language"] = language
                new = None
            stack.append(_Open(tag, new, length))
        pos = match.end()
    if stack:
        first = stack[0].tag
        raise HtmlError(
            f"Can't parse entities: can't find end tag corresponding to start tag \"{first}\""
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities
