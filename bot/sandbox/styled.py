"""A message's text and entities (as the local Telegram parsed its HTML) as rich Text.

Bold, italic, underline, strikethrough, code and spoilers become text styles; a link
keeps its words and shows its address after them; a blockquote gets a bar at the
start of each of its lines.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from rich.style import Style
from rich.text import Text

__all__ = ["styled"]

STYLES = {
    "bold": Style(bold=True),
    "italic": Style(italic=True),
    "underline": Style(underline=True),
    "strikethrough": Style(strike=True),
    "code": Style(color="cyan"),
    "pre": Style(color="cyan"),
    "spoiler": Style(reverse=True, dim=True),
    "blockquote": Style(italic=True),
    "expandable_blockquote": Style(italic=True),
}
QUOTES = frozenset({"blockquote", "expandable_blockquote"})
BAR = "▎ "
ADDRESS = Style(dim=True)


def _indices(text: str) -> dict[int, int]:
    """UTF-16 offsets (as Telegram counts) to positions in the Python string."""
    positions, units = {0: 0}, 0
    for index, character in enumerate(text, 1):
        units += 2 if ord(character) > 0xFFFF else 1
        positions[units] = index
    return positions


def _style(entity: dict[str, Any]) -> Style:
    if entity["type"] == "text_link":
        return Style(underline=True, link=str(entity["url"]))
    return STYLES.get(str(entity["type"]), Style())


def styled(text: str, entities: list[dict[str, Any]]) -> Text:
    """The text as the person's app would show it, in the terminal's styles."""
    where = _indices(text)
    spans = []
    for entity in entities:
        start = where.get(int(entity["offset"]))
        end = where.get(int(entity["offset"]) + int(entity["length"]))
        if start is not None and end is not None and start < end:
            spans.append((start, end, entity))
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    out = Text()
    for start, end in pairwise(cuts):
        active = [entity for s, e, entity in spans if s <= start and end <= e]
        quoted = any(entity["type"] in QUOTES for entity in active)
        if quoted and any(s == start and e["type"] in QUOTES for s, _, e in spans):
            out.append(BAR)
        piece = text[start:end]
        out.append(
            piece.replace("\n", "\n" + BAR) if quoted else piece,
            Style.combine([_style(entity) for entity in active]) if active else None,
        )
        for s, e, entity in spans:
            if e == end and entity["type"] == "text_link" and text[s:e] != entity["url"]:
                out.append(f" ({entity['url']})", ADDRESS)
    return out
