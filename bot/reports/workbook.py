"""The one way into a workbook: a sheet of rows, its widths, row heights and name.

Both workbooks (answers.xlsx, roster.xlsx) go through `write_sheet`, so it is where
typed text is kept from running (OWASP's "CSV injection"): every text is written as
a text cell (never a formula, number or link), marked as typed with a leading
apostrophe (Excel's quotePrefix: the text shows exactly as typed and stays text when
the cell is edited). `when` is how every export writes a moment, the CSV's too.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Iterable
from datetime import datetime

from rustpy_xlsxwriter import FastExcel, Format

__all__ = [
    "CHOICE",
    "MEDIUM",
    "NARROW",
    "TALLEST",
    "WIDE",
    "Cell",
    "Rows",
    "row_height",
    "sheet_name",
    "when",
    "words_within",
    "write_sheet",
]

CHOICE, NARROW, MEDIUM, WIDE = 11, 14, 24, 60  # column widths, in Excel's characters
LINE, TALLEST = 15.0, 409.0  # points: a line of wrapped text; Excel's highest row
# Landscape, one page wide (as tall as it takes), the header row on every page.
PAGE_SETUP = {"landscape": True, "fit_to_pages": (1, 0), "repeat_rows": 0}
Cell = str | int | None
Rows = Callable[[], Iterable[list[Cell]]]  # called twice: row heights, then the rows
_SHEET_NAME_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


def when(moment: datetime | None) -> str:
    """2026-11-01 09:30 (isoformat: several times faster than strftime, which an export
    of 10,000 people calls 100,000 times)."""
    return moment.isoformat(" ", "minutes")[:16] if moment else ""


def sheet_name(index: int, title: str, used: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique; a long title is
    cut after its last whole word, not in the middle of one."""
    name = words_within(f"Q{index} {title.translate(_SHEET_NAME_FORBIDDEN)}", 31)
    n = 1
    while name.casefold() in used:
        n += 1
        suffix = f" ({n})"
        name = words_within(name, 31 - len(suffix)) + suffix
    used.add(name.casefold())
    return name


def words_within(text: str, limit: int) -> str:
    """`text` (spaces collapsed) cut to at most `limit` characters at a word boundary,
    without a dangling separator; a first word longer than that is cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut[:limit].rstrip(" ·-—–,;.") or text[:limit]


def _lines(text: str, width: int) -> int:
    """About how many lines `text` takes wrapped in a column `width` characters wide
    (a character of text is mostly narrower than Excel's unit, the width of a 0)."""
    room = max(1, int(width * 1.1) - 1)
    return sum(max(1, -(-len(line) // room)) for line in text.split("\n"))


def row_height(cells: Iterable[Cell], widths: list[int], narrowest: int = WIDE) -> float | None:
    """A row's height in points for its wrapped cells, those of columns at least
    `narrowest` wide (None: one line is enough) — LibreOffice, unlike Excel, does not
    grow a row to its text, so rows overlapped."""
    lines = max(
        (
            _lines(cell, width)
            for cell, width in zip(cells, widths, strict=True)
            if width >= narrowest and isinstance(cell, str) and (len(cell) > width or "\n" in cell)
        ),
        default=1,
    )
    return min(TALLEST, lines * LINE) if lines > 1 else None


def write_sheet(
    book: FastExcel,
    name: str,
    columns: list[tuple[str, int]],
    rows: Rows,
    numbers: Collection[str] = (),
) -> None:
    """A sheet of `rows` under a bold, frozen, filtered header; wide columns wrap, each
    row as high as its longest text needs; printed landscape, one page wide, the header
    on every page.

    The one way into a workbook, so it is where typed text is kept from running:
    rustpy-xlsxwriter writes a `str` with rust_xlsxwriter's `write_string` (never a
    formula, and a link only in `url_columns`, which is never passed), and every column
    but those named in `numbers` is marked quotePrefix, as Excel marks text typed after
    an apostrophe, so "=SUM(…)" stays the words typed even when someone edits the cell.

    `rows` is read twice: once for the row heights, which the constant-memory writer
    must know before it writes a row, and once to write them.
    """
    head = Format().set_bold().set_background_color("#E8EEF7").set_border("thin").set_text_wrap()
    wrap = Format().set_text_wrap().set_align("top").set_quote_prefix()
    top, number = Format().set_align("top").set_quote_prefix(), Format().set_align("top")
    headers = _distinct([header for header, _ in columns])
    widths = [width for _, width in columns]
    heights = {
        at: height
        for at, row in enumerate(rows(), start=1)
        if (height := row_height(row, widths)) is not None
    }
    if (tall := row_height(headers, widths, narrowest=0)) is not None:  # every header wraps
        heights[0] = tall
    records = (dict(zip(headers, row, strict=True)) for row in rows())
    first = next(records, dict.fromkeys(headers))  # no rows yet: the headers still show
    book.sheet(
        name,
        itertools.chain((first,), records),
        column_widths=[float(width) for width in widths],
        column_formats=[
            number if header in numbers else wrap if width >= WIDE else top
            for header, width in columns
        ],
        header_format=head,
        autofilter=True,
        row_heights=heights,
        page_setup=dict(PAGE_SETUP),
    )


def _distinct(headers: list[str]) -> list[str]:
    """Column names made unique (each sheet's rows are keyed by them)."""
    seen: set[str] = set()
    out = []
    for header in headers:
        name, n = header, 1
        while name in seen:
            n += 1
            name = f"{header} ({n})"
        seen.add(name)
        out.append(name)
    return out
