"""answers.csv: a row per answer (UTF-8, BOM), every cell kept from running as a formula.

Anonymised, it shows "Participant N"; where a participant edited an answer, a row
shows the answer as first given, and when, beside the final one (otherwise those
cells are empty). Every row goes through `_csv`, which puts every field in quotes
and every cell through `guard_formula` (OWASP's "CSV injection"): a leading
apostrophe before text that begins with = + - @, a tab, a carriage return or NUL,
or with one of = + - @ after leading whitespace (which some importers trim).
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

from bot.reports.collected import Collected, Entry
from bot.reports.workbook import when
from flows.strings import Strings
from store.consent import Quote

__all__ = ["FORMULA_STARTS", "answers_csv", "guard_formula"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")  # OWASP's list; NUL from ASVS 5
_STARTS = frozenset(FORMULA_STARTS)
_WIDE = frozenset("＝＋－＠﹦﹢﹣﹫")  # full-width and small forms of = + - @


def guard_formula(value: str) -> str:
    """`value` as CSV text a spreadsheet will not run as a formula (CSV has no cell
    types): a leading apostrophe where it could start one, otherwise unchanged. Looked
    past leading spaces and invisible characters (a bidi mark, a zero-width space, which
    an importer may drop), and full-width forms count as the signs they look like."""
    head = value[:1]
    if head in _STARTS:
        return "'" + value
    if not head:
        return value
    if head.isspace() or unicodedata.category(head) == "Cf" or head in _WIDE:
        first = next((c for c in value if not (c.isspace() or unicodedata.category(c) == "Cf")), "")
        if first in _STARTS or first in _WIDE:
            return "'" + value
    return value


def answers_csv(
    c: Collected, strings: Strings, session_titles: Mapping[str, str], path: Path
) -> None:
    """A row per answer (its question's steps apart)."""
    col = strings.plain
    marks = {quote: col(f"quote.mark_{quote.value}") for quote in Quote}
    header = [
        col("export.participant"),
        col("export.language"),
        col("export.session"),
        col("export.question"),
        col("export.step"),
        col("export.answer"),
        col("export.answered_at"),
        col("export.first_answer"),
        col("export.first_answered_at"),
        col("quote.column"),
    ]
    rows = (
        row
        for question in c.every
        for entry in c.entries[question]
        for row in _csv_rows(c, entry, session_titles, marks[entry.quote])
    )
    _csv(path, header, rows)


def _csv(path: Path, header: list[str], rows: Iterable[Iterable[str]]) -> None:
    """The one way a CSV is written: UTF-8 with a byte order mark (so Excel reads the
    accents right), every field in quotes and every cell through `guard_formula`.

    Quoted, as OWASP advises, so that a reader splitting on another separator (Excel
    in a Dutch or German locale splits on ;) finds a typed ; inside its field rather
    than the start of a new cell, where the guard would not have looked.
    """
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("\ufeff")  # the BOM by hand: the utf-8-sig codec encodes in Python
        writer = csv.writer(out, quoting=csv.QUOTE_ALL)
        writer.writerow(map(guard_formula, header))
        writer.writerows(map(guard_formula, row) for row in rows)


def _csv_rows(
    c: Collected, entry: Entry, session_titles: Mapping[str, str], quote: str
) -> list[list[str]]:
    registration = c.registration_of(entry.person)
    session = (
        session_titles.get(registration.session_id, registration.session_id)
        if (registration)
        else ""
    )
    name, at = c.name(entry.person), when(entry.answered_at)
    row = (name, entry.person.language, session, entry.question)  # how every row begins
    if entry.first is None:  # most answers: nothing earlier to show (the quick path)
        return [
            [*row, part.label, part.value, at, "", "", quote] for part in entry.parts if part.value
        ]
    # A step emptied by the edit keeps its row, for its first version's sake.
    then = when(entry.first.answered_at)
    return [
        [*row, part.label, part.value, at, was.value, then, quote]
        for part, was in zip(entry.parts, entry.first.parts, strict=True)
        if part.value or was.value
    ]
