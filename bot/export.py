"""The facilitators' exports: answers.xlsx (XlsxWriter) and answers.csv (UTF-8 with BOM).

answers.xlsx: a sheet per question (newest first), "Participants" (a row per
participant, a column per answer) and "Registrations" (status and waitlist
position), with wrapped text and column widths that read well when opened.
Every answer is written as a text cell, so "=SUM(…)" stays the words typed.
answers.csv: a row per answer; an answer that begins with = + - @ (or a tab or
carriage return) gets a leading apostrophe, the usual guard against spreadsheet
formulas. Anonymised exports show "Participant N" and leave contact details out.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import xlsxwriter

from bot.collected import Collected, Entry
from flows.strings import Strings
from store.collected import Person

__all__ = ["FORMULA_STARTS", "answers_csv", "answers_xlsx", "guard_formula", "write_exports"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NARROW, MEDIUM, WIDE = 14, 24, 60
_SHEET_NAME_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


def guard_formula(value: str) -> str:
    """Text a spreadsheet will not run as a formula (for CSV, which has no cell types)."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def _sheet_name(index: int, title: str, used: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique."""
    name = f"Q{index} {title.translate(_SHEET_NAME_FORBIDDEN)}".strip()[:31]
    while name.casefold() in used:
        name = f"{name[:28]} {index}"
    used.add(name.casefold())
    return name


def answers_xlsx(
    c: Collected, strings: Strings, session_titles: Mapping[str, str], path: Path
) -> None:
    """The workbook, into `path`. Constant memory: each row goes to a temporary file
    as it is written (XlsxWriter's in-memory mode would keep every cell)."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "tmpdir": str(path.parent)})
    head = book.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1, "text_wrap": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    top = book.add_format({"valign": "top"})
    col = strings.plain
    used: set[str] = set()

    def columns(
        sheet: xlsxwriter.worksheet.Worksheet, widths: list[int], headers: list[str]
    ) -> None:
        for index, (width, header) in enumerate(zip(widths, headers, strict=True)):
            sheet.set_column(index, index, width, wrap if width >= WIDE else top)
            sheet.write_string(0, index, header, head)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, 0, len(headers) - 1)

    def about(person: Person) -> list[str]:
        registration = c.registration_of(person)
        session = (
            session_titles.get(registration.session_id, registration.session_id)
            if (registration)
            else ""
        )
        return [c.name(person), person.language, session]

    for index, question in enumerate(c.questions, start=1):
        sheet = book.add_worksheet(_sheet_name(index, c.titles.get(question, question), used))
        labels = [label for _, label in c.step_labels[question]]
        columns(
            sheet,
            [MEDIUM, NARROW, MEDIUM, NARROW] + [WIDE] * len(labels),
            [
                col("export.participant"),
                col("export.language"),
                col("export.session"),
                col("export.answered_at"),
                *labels,
            ],
        )
        for row, entry in enumerate(c.entries[question], start=1):
            _write_row(
                sheet,
                row,
                [
                    *about(entry.person),
                    _when(entry.answered_at),
                    *(part.value for part in entry.parts),
                ],
            )

    sheet = book.add_worksheet(col("export.participants_sheet")[:31])
    step_columns = [(step_id, label) for q in c.questions for step_id, label in c.step_labels[q]]
    columns(
        sheet,
        [MEDIUM, NARROW, MEDIUM, NARROW] + [WIDE] * len(step_columns),
        [
            col("export.participant"),
            col("export.language"),
            col("export.session"),
            col("export.joined_at"),
            *(label for _, label in step_columns),
        ],
    )
    for row, person in enumerate(c.people, start=1):
        given = c.values.get(person.telegram_id, {})
        _write_row(
            sheet,
            row,
            [
                *about(person),
                _when(person.joined_at),
                *(given.get(step_id, "") for step_id, _ in step_columns),
            ],
        )

    sheet = book.add_worksheet(col("export.registrations_sheet")[:31])
    headers = [
        col("export.participant"),
        col("export.email"),
        col("export.organisation"),
        col("export.role"),
        col("export.session"),
        col("export.status"),
        col("export.position"),
        col("export.registered_at"),
    ]
    columns(sheet, [MEDIUM, MEDIUM, MEDIUM, MEDIUM, MEDIUM, NARROW, NARROW, NARROW], headers)
    people = {person.telegram_id: person for person in c.people}
    row = 0
    for registration in c.registrations:
        holder = people.get(registration.participant_id)
        if holder is None:
            continue
        row += 1
        details = registration.details
        hidden = c.anonymise
        _write_row(
            sheet,
            row,
            [
                c.name(holder),
                "" if hidden else details.email,
                "" if hidden else details.organisation,
                "" if hidden else details.role,
                session_titles.get(registration.session_id, registration.session_id),
                col(f"export.status_{registration.status.value}"),
            ],
        )
        if registration.position is not None:
            sheet.write_number(row, 6, registration.position)
        sheet.write_string(row, 7, _when(registration.created_at))
    book.close()


def _write_row(sheet: xlsxwriter.worksheet.Worksheet, row: int, values: list[str]) -> None:
    for column, value in enumerate(values):
        if value:
            sheet.write_string(row, column, value)  # never a formula, whatever it begins with


def answers_csv(
    c: Collected, strings: Strings, session_titles: Mapping[str, str], path: Path
) -> None:
    """A row per answer, UTF-8 with a byte order mark so Excel reads the accents right."""
    col = strings.plain
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            [
                col("export.participant"),
                col("export.language"),
                col("export.session"),
                col("export.question"),
                col("export.step"),
                col("export.answer"),
                col("export.answered_at"),
            ]
        )
        for question in c.questions:
            for entry in c.entries[question]:
                writer.writerows(_csv_rows(c, entry, session_titles))


def write_exports(
    c: Collected, strings: Strings, session_titles: Mapping[str, str], folder: Path
) -> tuple[Path, Path]:
    """answers.xlsx and answers.csv in `folder` (written to disk: neither is held whole)."""
    folder.mkdir(parents=True, exist_ok=True)
    xlsx, table = folder / "answers.xlsx", folder / "answers.csv"
    answers_xlsx(c, strings, session_titles, xlsx)
    answers_csv(c, strings, session_titles, table)
    return xlsx, table


def _csv_rows(c: Collected, entry: Entry, session_titles: Mapping[str, str]) -> list[list[str]]:
    registration = c.registration_of(entry.person)
    session = (
        session_titles.get(registration.session_id, registration.session_id)
        if (registration)
        else ""
    )
    return [
        [
            c.name(entry.person),
            entry.person.language,
            session,
            entry.question,
            part.label,
            guard_formula(part.value),
            _when(entry.answered_at),
        ]
        for part in entry.parts
        if part.value
    ]
