"""The facilitators' exports: answers.xlsx and roster.xlsx (rust_xlsxwriter) and
answers.csv (UTF-8, BOM).

answers.xlsx: a sheet per question (newest first), "Participants" (a row per
participant, a column per answer) and "Registrations" (name, e-mail, organisation,
role, status and waitlist position), with wrapped text and column widths that read
well when opened. roster.xlsx: the live registrations and how far each person got.
answers.csv: a row per answer. Anonymised exports show "Participant N" and leave
contact details out. Where a participant edited an answer, the question sheets and
the CSV show the answer as first given, and when, beside the final one; otherwise
those cells are empty.

Nothing typed can run as a formula (OWASP's "CSV injection"), and each kind of file
has one writer that every row goes through, so no column is left out: `_sheet`
writes every text as a text cell (never a formula, number or link), marked as typed
with a leading apostrophe (Excel's quotePrefix: the text shows exactly as typed and
stays text when the cell is edited); `_csv` puts every field in quotes and every
cell through `guard_formula`, which writes a leading apostrophe before text that
begins with = + - @, a tab, a carriage return or NUL, or with one of = + - @ after
leading whitespace (which some importers trim).
"""

from __future__ import annotations

import csv
import itertools
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import datetime
from functools import partial
from pathlib import Path

from rustpy_xlsxwriter import FastExcel, Format

from bot.reports.collected import Collected, Entry
from flows.strings import Strings
from store.collected import Person
from store.consent import Quote
from store.registrations import Registration

__all__ = [
    "FORMULA_STARTS",
    "answers_csv",
    "answers_xlsx",
    "guard_formula",
    "roster_xlsx",
    "write_exports",
]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")  # OWASP's list; NUL from ASVS 5
CHOICE, NARROW, MEDIUM, WIDE = 11, 14, 24, 60  # column widths, in Excel's characters
LINE, TALLEST = 15.0, 409.0  # points: a line of wrapped text; Excel's highest row
# Landscape, one page wide (as tall as it takes), the header row on every page.
PAGE_SETUP = {"landscape": True, "fit_to_pages": (1, 0), "repeat_rows": 0}
Cell = str | int | None
Rows = Callable[[], Iterable[list[Cell]]]  # called twice: row heights, then the rows
_SHEET_NAME_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", " "))
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


def _when(moment: datetime | None) -> str:
    """2026-11-01 09:30 (isoformat: several times faster than strftime, which an export
    of 10,000 people calls 100,000 times)."""
    return moment.isoformat(" ", "minutes")[:16] if moment else ""


def _sheet_name(index: int, title: str, used: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique; a long title is
    cut after its last whole word, not in the middle of one."""
    name = _words_within(f"Q{index} {title.translate(_SHEET_NAME_FORBIDDEN)}", 31)
    n = 1
    while name.casefold() in used:
        n += 1
        suffix = f" ({n})"
        name = _words_within(name, 31 - len(suffix)) + suffix
    used.add(name.casefold())
    return name


def _words_within(text: str, limit: int) -> str:
    """`text` (spaces collapsed) cut to at most `limit` characters at a word boundary,
    without a dangling separator; a first word longer than that is cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut[:limit].rstrip(" ·-—–,;.") or text[:limit]


def answers_xlsx(
    c: Collected, strings: Strings, session_titles: Mapping[str, str], path: Path
) -> None:
    """The workbook, into `path`, streamed a row at a time (rust_xlsxwriter's
    constant-memory mode, through rustpy-xlsxwriter)."""
    col = strings.plain
    book = FastExcel(path).freeze(row=1)
    used: set[str] = set()

    def sheet(
        name: str, columns: list[tuple[str, int]], rows: Rows, numbers: Collection[str] = ()
    ) -> None:
        _sheet(book, name, columns, rows, numbers)

    known: dict[int, list[Cell]] = {}  # a person is on up to six sheets

    def about(person: Person) -> list[Cell]:
        if (cells := known.get(person.telegram_id)) is None:
            registration = c.registration_of(person)
            session = (
                session_titles.get(registration.session_id, registration.session_id)
                if registration
                else None
            )
            cells = known[person.telegram_id] = [c.name(person), person.language, session]
        return cells

    def width(step_id: str) -> int:
        return CHOICE if step_id in c.choices else WIDE

    def answer_rows(question: str) -> Iterable[list[Cell]]:
        return (
            [
                *about(entry.person),
                _when(entry.answered_at),
                *(part.value or None for part in entry.parts),
                *_first(entry),
                col(f"quote.mark_{entry.quote.value}"),
            ]
            for entry in c.entries[question]
        )

    for index, question in enumerate(c.every, start=1):
        steps = c.step_labels[question]
        sheet(
            _sheet_name(index, c.titles.get(question, question), used),
            [
                (col("export.participant"), MEDIUM),
                (col("export.language"), CHOICE),
                (col("export.session"), MEDIUM),
                (col("export.answered_at"), NARROW),
                *((label, width(step_id)) for step_id, label in steps),
                (col("export.first_answer"), WIDE),
                (col("export.first_answered_at"), NARROW),
                (col("quote.column"), NARROW),
            ],
            partial(answer_rows, question),
        )

    step_columns = [(step_id, label) for q in c.every for step_id, label in c.step_labels[q]]

    def participant(person: Person) -> list[Cell]:
        given = c.values.get(person.telegram_id, {})
        return [
            *about(person),
            _when(person.joined_at),
            *(given.get(step_id) or None for step_id, _ in step_columns),
        ]

    sheet(
        _words_within(col("export.participants_sheet"), 31),
        [
            (col("export.participant"), MEDIUM),
            (col("export.language"), CHOICE),
            (col("export.session"), MEDIUM),
            (col("export.joined_at"), NARROW),
            *((label, width(step_id)) for step_id, label in step_columns),
        ],
        lambda: (participant(person) for person in c.people),
    )

    people = {person.telegram_id: person for person in c.people}

    def registration(holder: Person, registration: Registration) -> list[Cell]:
        return [
            c.name(holder),
            *_contact(c, registration),
            session_titles.get(registration.session_id, registration.session_id),
            col(f"export.status_{registration.status.value}"),
            registration.position,
            _when(registration.created_at),
            _when(registration.consent_at),
        ]

    sheet(
        _words_within(col("export.registrations_sheet"), 31),
        [
            (col("export.participant"), MEDIUM),
            *_contact_columns(col),
            (col("export.session"), MEDIUM),
            (col("export.status"), CHOICE),
            (col("export.position"), CHOICE),
            (col("export.registered_at"), NARROW),
            (col("export.consent_at"), NARROW),
        ],
        lambda: (
            registration(people[r.participant_id], r)
            for r in c.registrations
            if r.participant_id in people
        ),
        numbers=(col("export.position"),),
    )
    book.save()


def _contact_columns(col: Callable[[str], str]) -> list[tuple[str, int]]:
    """What someone gave when registering, beside their name in both workbooks."""
    return [
        (col("export.email"), MEDIUM),
        (col("export.organisation"), MEDIUM),
        (col("export.role"), MEDIUM),
        (col("export.knows"), NARROW),
    ]


def _contact(c: Collected, registration: Registration) -> list[Cell]:
    """E-mail, organisation and role (left out when anonymised), how they know the subject."""
    details = registration.details
    knows = c.knows.get(details.knows, details.knows) or None
    if c.anonymise:
        return [None, None, None, knows]
    return [details.email or None, details.organisation or None, details.role or None, knows]


def _first(entry: Entry) -> tuple[str | None, str | None]:
    """The answer as first given and when, or two empty cells if it was never changed."""
    if entry.first is None:
        return None, None
    return entry.first.text, _when(entry.first.answered_at)


def _lines(text: str, width: int) -> int:
    """About how many lines `text` takes wrapped in a column `width` characters wide
    (a character of text is mostly narrower than Excel's unit, the width of a 0)."""
    room = max(1, int(width * 1.1) - 1)
    return sum(max(1, -(-len(line) // room)) for line in text.split("\n"))


def _height(cells: Iterable[Cell], widths: list[int], narrowest: int = WIDE) -> float | None:
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


def _sheet(
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
        if (height := _height(row, widths)) is not None
    }
    if (tall := _height(headers, widths, narrowest=0)) is not None:  # every header wraps
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


def roster_xlsx(
    c: Collected,
    strings: Strings,
    session_titles: Mapping[str, str],
    sections: list[str],
    path: Path,
) -> None:
    """roster.xlsx: every live registration (seated first, then the waitlist in order)
    with how far the person got: the parts of the course read, the questions answered;
    then what they gave when registering."""
    col = strings.plain
    people = {person.telegram_id: person for person in c.people}
    read, answered = c.sections_read(), c.questions_answered()

    def row(registration: Registration) -> list[Cell]:
        pid = registration.participant_id
        done = [q for q in c.questions if q in answered.get(pid, ())]
        parts = [str(n) for n, s in enumerate(sections, start=1) if s in read.get(pid, ())]
        return [
            c.name(people[pid]),
            session_titles.get(registration.session_id, registration.session_id),
            col(f"export.status_{registration.status.value}"),
            registration.position,
            _when(registration.created_at),
            " · ".join(parts) or None,
            col("roster.of").format(done=len(done), total=len(c.questions)),
            *("✓" if q in done else None for q in c.questions),
            *_contact(c, registration),
            _when(registration.consent_at),
        ]

    book = FastExcel(path).freeze(row=1)
    _sheet(
        book,
        _words_within(col("roster.sheet"), 31),
        [
            (col("export.participant"), MEDIUM),
            (col("export.session"), MEDIUM),
            (col("export.status"), CHOICE),
            (col("export.position"), CHOICE),
            (col("export.registered_at"), NARROW),
            (col("roster.parts_read"), NARROW),
            (col("roster.answered"), NARROW),
            *((c.titles.get(q, q), CHOICE) for q in c.questions),
            *_contact_columns(col),
            (col("export.consent_at"), NARROW),
        ],
        lambda: (row(r) for r in c.registrations if r.participant_id in people),
        numbers=(col("export.position"),),
    )
    book.save()


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


def write_exports(
    c: Collected, strings: Strings, session_titles: Mapping[str, str], folder: Path
) -> tuple[Path, Path]:
    """answers.xlsx and answers.csv in `folder` (written to disk: neither is held whole)."""
    folder.mkdir(parents=True, exist_ok=True)
    xlsx, table = folder / "answers.xlsx", folder / "answers.csv"
    answers_xlsx(c, strings, session_titles, xlsx)
    answers_csv(c, strings, session_titles, table)
    return xlsx, table


def _csv_rows(
    c: Collected, entry: Entry, session_titles: Mapping[str, str], quote: str
) -> list[list[str]]:
    registration = c.registration_of(entry.person)
    session = (
        session_titles.get(registration.session_id, registration.session_id)
        if (registration)
        else ""
    )
    name, when = c.name(entry.person), _when(entry.answered_at)
    row = (name, entry.person.language, session, entry.question)  # how every row begins
    if entry.first is None:  # most answers: nothing earlier to show (the quick path)
        return [
            [*row, part.label, part.value, when, "", "", quote]
            for part in entry.parts
            if part.value
        ]
    # A step emptied by the edit keeps its row, for its first version's sake.
    then = _when(entry.first.answered_at)
    return [
        [*row, part.label, part.value, when, was.value, then, quote]
        for part, was in zip(entry.parts, entry.first.parts, strict=True)
        if part.value or was.value
    ]
