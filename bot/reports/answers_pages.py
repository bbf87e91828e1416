"""/answers laid out in pages: each within Telegram's limit, a long answer carried over.

The pages of answers a facilitator reads (and searches) in the chat: `paginate`
packs entries of `bot/reports/collected.py` into pages that fit once parsed, as
Telegram counts, and `Pages.html` lays out the one page shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from bot.base.telegram_text import MAX_TEXT, plain_cut, shown_length, utf16_len
from bot.reports.collected import Entry

__all__ = ["MIN_PART", "SEPARATOR", "Pages", "Piece", "paginate"]


class Piece(NamedTuple):
    """What a page shows of one answer: all of it, or a part of one too long for a page."""

    entry: Entry
    text: str  # plain, as typed: the whole answer or this part of it
    continued: bool = False  # the rest of an answer begun on the page before
    continues: bool = False  # goes on on the next page


@dataclass(frozen=True, slots=True)
class Pages:
    """Answers laid out in pages: the pieces each page shows, its HTML made when shown
    (a press shows one page; the layout of all of them says how many there are)."""

    pieces: list[tuple[Piece, ...]]
    head: Callable[[int, int], str]  # a page's first line: (its number from 0, how many)
    block: Callable[[Piece], str]

    def __len__(self) -> int:
        return len(self.pieces)

    def html(self, number: int) -> str:
        """Page `number` (from 0): within the limit it was laid out for, once parsed."""
        return SEPARATOR.join(
            [self.head(number, len(self.pieces)), *map(self.block, self.pieces[number])]
        )


SEPARATOR = "\n\n"  # between the head and each answer on a page
MIN_PART = 200  # UTF-16 units: less room than this left on a page, a long answer starts anew


def paginate(
    entries: Sequence[Entry],
    head: Callable[[int, int], str],
    block: Callable[[Piece], str],
    per_page: int,
    limit: int = MAX_TEXT,
) -> Pages:
    """The entries in pages of at most `per_page` that each fit `limit` as Telegram counts
    (UTF-16 units after parsing), in the order given; an answer too long for a page of its
    own goes on over the next ones, each part marked, so none loses a word.

    `head(number, pages)` is a page's first line (`number` from 0); `block(piece)` the HTML
    of a piece, showing its plain text once, escaped (so it counts as long as typed).
    """
    digits = len(str(len(entries) // per_page + 1))
    while True:  # the head says "page 3 of 12": room for as many digits as there are pages
        most = 10**digits - 1
        room = limit - shown_length(head(most, most)) - len(SEPARATOR)
        pages = _pack(entries, block, per_page, room)
        if len(str(len(pages))) <= digits:
            return Pages([tuple(page) for page in pages], head, block)
        digits += 1


def _pack(
    entries: Sequence[Entry], block: Callable[[Piece], str], per_page: int, room: int
) -> list[list[Piece]]:
    """The pieces of each page, every page's blocks (and separators) within `room`."""
    pages: list[list[Piece]] = [[]]
    used = 0

    def heading(piece: Piece) -> int:
        """What a block adds to its words: its heading, marks and the line breaks."""
        return shown_length(block(piece._replace(text="")))

    for entry in entries:
        whole = Piece(entry, entry.text)
        length, around = utf16_len(whole.text), heading(whole)
        while True:
            separator = len(SEPARATOR) if pages[-1] else 0
            if len(pages[-1]) < per_page and used + separator + around + length <= room:
                pages[-1].append(whole)
                used += separator + around + length
                break
            if pages[-1] and around + length <= room:
                pages.append([])  # fits a page of its own: it starts the next one
                used = 0
                continue
            part = whole._replace(continues=True)
            space = room - used - separator - heading(part)
            if len(pages[-1]) >= per_page or space < MIN_PART:
                pages.append([])
                space = room - heading(part)
            cut = plain_cut(whole.text, space, force=True)
            if cut <= 0:
                raise ValueError("an answer's heading alone is longer than a page")
            pages[-1].append(part._replace(text=whole.text[:cut]))
            pages.append([])
            used = 0
            whole = Piece(entry, whole.text[cut:], continued=True)
            length, around = utf16_len(whole.text), heading(whole)
    if len(pages) > 1 and not pages[-1]:
        pages.pop()
    return pages
