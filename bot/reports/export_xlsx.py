"""answers.xlsx and roster.xlsx: what the facilitators' two workbooks hold.

answers.xlsx: a sheet per question (newest first), "Participants" (a row per
participant, a column per answer) and "Registrations" (name, e-mail, organisation,
role, status and waitlist position). roster.xlsx: the live registrations and how far
each person got. Anonymised, they show "Participant N" and leave contact details
out. Where a participant edited an answer, the question sheets show the answer as
first given, and when, beside the final one. Every sheet is written by
bot/reports/workbook.py's `write_sheet`, which keeps typed text from running.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from functools import partial
from pathlib import Path

from rustpy_xlsxwriter import FastExcel

from bot.reports.collected import Collected, Entry
from bot.reports.workbook import (
    CHOICE,
    MEDIUM,
    NARROW,
    WIDE,
    Cell,
    Rows,
    sheet_name,
    when,
    words_within,
    write_sheet,
)
from flows.strings import Strings
from store.collected import Person
from store.registrations import Registration

__all__ = ["answers_xlsx", "roster_xlsx"]


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
        write_sheet(book, name, columns, rows, numbers)

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
                when(entry.answered_at),
                *(part.value or None for part in entry.parts),
                *_first(entry),
                col(f"quote.mark_{entry.quote.value}"),
            ]
            for entry in c.entries[question]
        )

    for index, question in enumerate(c.every, start=1):
        steps = c.step_labels[question]
        sheet(
            sheet_name(index, c.titles.get(question, question), used),
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
            when(person.joined_at),
            *(given.get(step_id) or None for step_id, _ in step_columns),
        ]

    sheet(
        words_within(col("export.participants_sheet"), 31),
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
            *contact(c, registration),
            session_titles.get(registration.session_id, registration.session_id),
            col(f"export.status_{registration.status.value}"),
            registration.position,
            when(registration.created_at),
            when(registration.consent_at),
        ]

    sheet(
        words_within(col("export.registrations_sheet"), 31),
        [
            (col("export.participant"), MEDIUM),
            *contact_columns(col),
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


def contact_columns(col: Callable[[str], str]) -> list[tuple[str, int]]:
    """What someone gave when registering, beside their name in both workbooks."""
    return [
        (col("export.email"), MEDIUM),
        (col("export.organisation"), MEDIUM),
        (col("export.role"), MEDIUM),
        (col("export.knows"), NARROW),
    ]


def contact(c: Collected, registration: Registration) -> list[Cell]:
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
    return entry.first.text, when(entry.first.answered_at)


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
            when(registration.created_at),
            " · ".join(parts) or None,
            col("roster.of").format(done=len(done), total=len(c.questions)),
            *("✓" if q in done else None for q in c.questions),
            *contact(c, registration),
            when(registration.consent_at),
        ]

    book = FastExcel(path).freeze(row=1)
    write_sheet(
        book,
        words_within(col("roster.sheet"), 31),
        [
            (col("export.participant"), MEDIUM),
            (col("export.session"), MEDIUM),
            (col("export.status"), CHOICE),
            (col("export.position"), CHOICE),
            (col("export.registered_at"), NARROW),
            (col("roster.parts_read"), NARROW),
            (col("roster.answered"), NARROW),
            *((c.titles.get(q, q), CHOICE) for q in c.questions),
            *contact_columns(col),
            (col("export.consent_at"), NARROW),
        ],
        lambda: (row(r) for r in c.registrations if r.participant_id in people),
        numbers=(col("export.position"),),
    )
    book.save()
