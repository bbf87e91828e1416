"""What an update's JSON must be for the bot to handle and store it.

json and PTB read things the databases cannot take: an integer past signed 64 bits
(an OverflowError at the INSERT), a lone surrogate such as "\\ud800" (no UTF-8 for
it: a UnicodeEncodeError) and a NUL character (PostgreSQL's TEXT cannot hold one;
refused on SQLite too, so that both treat an update alike). Any of them fails the
store every time the update comes, and Telegram sends it again forever; so the
webhook refuses it (400) and polling parks a scrubbed copy.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["INT64", "MAX_DEPTH", "problem", "scrubbed"]

INT64 = range(-(2**63), 2**63)  # what an SQLite INTEGER holds
# Telegram's updates nest about a dozen deep. Deeper JSON makes json and PTB recurse
# until Python gives up (a RecursionError).
MAX_DEPTH = 64
NUL = "\x00"  # no PostgreSQL TEXT holds it


def problem(data: object) -> str | None:
    """Why this JSON cannot be handled and stored, in a few words, or None. Walked
    without recursion: the depth is one of the things it checks."""
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[object]
        if isinstance(item, dict):
            children = item.values()
            keys = [key for key in item if isinstance(key, str)]
            if not all(_utf8(key) for key in keys):
                return "not UTF-8"
            if any(NUL in key for key in keys):
                return "a NUL character"
        elif isinstance(item, list):
            children = item
        elif isinstance(item, bool):
            continue
        elif isinstance(item, int):
            if item not in INT64:
                return "integer out of range"
            continue
        elif isinstance(item, str):
            if not _utf8(item):
                return "not UTF-8"
            if NUL in item:
                return "a NUL character"
            continue
        else:
            continue
        if depth > MAX_DEPTH:
            return "nested too deep"
        stack.extend((child, depth + 1) for child in children)
    return None


def scrubbed(data: dict[str, Any]) -> dict[str, Any]:
    """A copy both databases can take, for an operator to read: an integer out of range
    as its digits, a string without UTF-8 with its surrogates escaped ("\\ud800"), and
    without its NUL characters. Only the update_id is kept of one nested too deep."""
    if problem(data) == "nested too deep":
        return {"update_id": data.get("update_id")}
    clean = _scrub(data)
    assert isinstance(clean, dict)
    return clean


def _scrub(item: object) -> object:
    if isinstance(item, dict):
        return {_scrub(key): _scrub(value) for key, value in item.items()}
    if isinstance(item, list):
        return [_scrub(child) for child in item]
    if isinstance(item, int) and not isinstance(item, bool) and item not in INT64:
        return str(item)
    if isinstance(item, str):
        text = item if _utf8(item) else item.encode("utf-8", "backslashreplace").decode("utf-8")
        return text.replace(NUL, "")
    return item


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
