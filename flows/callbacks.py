"""Reading callback data strictly: a press can carry anything a client forges.

`str.isdigit()` is True for "²" (which `int()` refuses) and `int()` takes "١", " 7",
"+7" and "1_0"; a press carrying any of them must get the stale-button toast, not a
handler failing three times and its update parked.
"""

from __future__ import annotations

__all__ = ["MAX_DIGITS", "number", "parts"]

MAX_DIGITS = 18  # every such number fits in SQLite's signed 64 bits


def number(text: str, *, signed: bool = False) -> int | None:
    """A page, an id or a count in callback data: ASCII digits only (a leading "-"
    too when `signed`), at most MAX_DIGITS of them; else None."""
    digits = text[1:] if signed and text.startswith("-") else text
    if not digits or len(digits) > MAX_DIGITS or not digits.isascii() or not digits.isdigit():
        return None
    return int(text)


def parts(data: str, count: int) -> list[str] | None:
    """`data` split at ":" into exactly `count` fields (the last takes the rest, colons
    and all); None when there are fewer."""
    fields = data.split(":", count - 1)
    return fields if len(fields) == count else None
