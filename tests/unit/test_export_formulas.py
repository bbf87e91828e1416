"""No text a person typed reaches a spreadsheet as a formula: every column of every
CSV and workbook the product writes (answers.csv, answers.xlsx, roster.xlsx).

The data is a real database where every typed field — Telegram names, the name,
e-mail, organisation and role given at registration, every answer and its first
version — is a formula payload; the files are read back whole and every cell of
every row is checked, so a column added later is checked too.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.cell import Cell

from bot.reports.collected import Collected, collect
from bot.reports.export import write_exports
from bot.reports.export_csv import guard_formula
from bot.reports.export_xlsx import roster_xlsx
from flows.content import Content, load_content
from flows.model import Kind
from store import answers, course, participants, registrations
from store.db import Store
from store.registrations import Details

PAYLOADS = (
    '=cmd|" /C calc"!A0',
    "+1+1",
    "-2+3",
    "@SUM(1)",
    "\t=1",
    "\r=1",
    " =1+1",  # after leading whitespace, which some importers trim
    '=HYPERLINK("http://evil.example","click")',
)
STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")  # OWASP's list, and ASVS's NUL
SESSION = "s1"
TITLES = {SESSION: '=HYPERLINK("http://evil.example","the session")'}  # from settings
START = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
CONTENT = load_content(["en", "nl"], "en")
STRINGS = CONTENT.strings("en")
FLOWS = (CONTENT.flows["reflection"], CONTENT.flows["after"])
TYPED_STEPS = {s.id for flow in FLOWS for s in flow.steps if s.question and s.kind is Kind.TEXT}


WIDE = ("＝", "＋", "－", "＠", "﹦", "﹢", "﹣", "﹫")


def could_run(cell: str) -> bool:
    """What a spreadsheet may read as a formula: a trigger (or its full-width form)
    first, or after spaces and invisible characters (a bidi mark, a zero-width space)."""
    if cell.startswith(STARTS):
        return True
    visible = "".join(c for c in cell if not (c.isspace() or unicodedata.category(c) == "Cf"))
    return bool(cell) and not cell.startswith("'") and visible.startswith(STARTS + WIDE)


def unescaped(text: str) -> str:
    """An xlsx string as written (openpyxl leaves the _xHHHH_ escapes of control
    characters, such as the carriage return, as they are stored)."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m[1], 16)), text)


# --- the guard ------------------------------------------------------------------------


@given(st.text())
@example("=1")
@example(" \t@x")
@example("\u00a0-1")
@example("\0")
@example("")
@example("\u202e=1")
@example("\u200b+1")
@example("＝1+1")
def test_no_guarded_text_can_start_a_formula_and_it_only_ever_gains_an_apostrophe(
    text: str,
) -> None:
    guarded = guard_formula(text)
    assert not could_run(guarded)
    assert guarded == ("'" + text if could_run(text) else text)
    assert guard_formula(guarded) == guarded  # guarding twice adds nothing


@given(st.text(alphabet="=+-@\t\r\0 \n\u3000'abc,;\"\u202e\u200b＝﹫", max_size=8))
def test_text_made_of_the_triggers_themselves_is_guarded_too(text: str) -> None:
    assert not could_run(guard_formula(text))


# --- the documents --------------------------------------------------------------------


async def _seed(store: Store, content: Content) -> None:
    """For every payload: a registered person (the first seated, the rest waitlisted) and
    one who is not, with the payload as every name and every answer; every text answer
    edited once, so the first-version columns hold payloads too."""
    for i, payload in enumerate(PAYLOADS):
        later = PAYLOADS[(i + 1) % len(PAYLOADS)]
        for n, registered in enumerate((True, False)):
            pid = 8_000_000 + 10 * i + n
            when = START + timedelta(minutes=10 * i + n)
            await participants.seen(
                store,
                telegram_id=pid,
                chat_id=pid,
                first_name=payload,
                last_name=None if registered else payload,
                username=None,
                language="en",
                now=when,
            )
            for flow in FLOWS:
                first = {
                    s.id: (s.question, payload if s.kind is Kind.TEXT else s.values()[0])
                    for s in flow.steps
                    if s.question
                }
                edited = {k: (q, later) for k, (q, v) in first.items() if v == payload}
                for version, changed in enumerate((first, edited)):
                    await answers.save_step(
                        store,
                        pid,
                        flow.id,
                        state="{}",
                        listening=False,
                        changed=changed,
                        now=when + timedelta(hours=version),
                    )
            first_section = content.course("en").sections[0].id
            await course.save(
                store,
                pid,
                section_id=first_section,
                card=0,
                finished=frozenset({first_section}),
                now=when,
            )
            if registered:
                details = Details(payload, payload, payload, payload, "practice")
                await registrations.register(
                    store,
                    participant_id=pid,
                    session_id=SESSION,
                    capacity=1,
                    details=details,
                    now=when,
                )


async def _exported(tmp_path: Path) -> tuple[Collected, Path, Path, Path]:
    async with Store(tmp_path / "formulas.sqlite3") as store:
        await _seed(store, CONTENT)
        c = await collect(store, CONTENT, STRINGS, anonymise=False)
    xlsx, table = write_exports(c, STRINGS, TITLES, tmp_path / "out")
    roster = tmp_path / "out" / "roster.xlsx"
    sections = [s.id for s in CONTENT.course("en").sections]
    roster_xlsx(c, STRINGS, TITLES, sections, roster)
    return c, xlsx, table, roster


async def test_no_cell_of_the_csv_in_any_column_can_start_a_formula(tmp_path: Path) -> None:
    c, _, table, _ = await _exported(tmp_path)
    raw = table.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header, *rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert len(rows) >= 2 * len(PAYLOADS) * 6  # every person, every text answer
    for row in rows:
        assert len(row) == len(header)
        for column, cell in zip(header, row, strict=True):
            assert not could_run(cell), (column, cell)
    # ...and what was typed is all there, behind its apostrophe, in every column it fills.
    column = {name: {row[i] for row in rows} for i, name in enumerate(header)}
    names = {*PAYLOADS, *(f"{p} {p}" for p in PAYLOADS)}
    assert column["Participant"] == {"'" + name for name in names}
    assert column["Session"] == {"'" + TITLES[SESSION], ""}  # the unregistered: none
    chosen = {  # the quick choices' labels: words of ours, not typed
        entry.parts[n].value
        for q in c.every
        for entry in c.entries[q]
        for n, (step, _) in enumerate(c.step_labels[q])
        if step not in TYPED_STEPS
    }
    assert chosen
    assert column["Answer"] == {"'" + p for p in PAYLOADS} | chosen
    assert {"'" + p for p in PAYLOADS} <= column["First answer"]


def _cells(path: Path) -> list[tuple[str, str, Cell]]:
    """(sheet, column header, cell) for every data cell of every sheet of the workbook."""
    book = load_workbook(path)
    found = []
    for sheet in book:
        header, *rows = list(sheet.iter_rows())
        assert rows, sheet.title
        for row in rows:
            for head, cell in zip(header, row, strict=True):
                assert isinstance(cell, Cell)
                found.append((sheet.title, str(head.value), cell))
    return found


async def test_every_typed_field_in_the_workbooks_is_a_text_cell_holding_what_was_typed(
    tmp_path: Path,
) -> None:
    c, xlsx, _, roster = await _exported(tmp_path)
    typed = [label for q in c.every for step, label in c.step_labels[q] if step in TYPED_STEPS]
    assert len(typed) == len(TYPED_STEPS)
    for path in (xlsx, roster):
        by_column: dict[str, set[str]] = {}
        for sheet, column, cell in _cells(path):
            if cell.value is None:
                continue
            if column == "Waitlist position":  # the one number the product writes
                assert cell.data_type == "n", (sheet, column, cell.value)
                continue
            # Text, never a formula, a number or a link; and marked as typed with a
            # leading apostrophe, so it stays text when someone edits the cell.
            assert cell.data_type == "s", (sheet, column, cell.value)
            assert cell.quotePrefix, (sheet, column, cell.value)
            assert cell.hyperlink is None
            assert isinstance(cell.value, str)
            by_column.setdefault(column, set()).add(unescaped(cell.value))
        assert by_column["Session"] == {TITLES[SESSION]}
        if path == roster:  # the registered, by the name they gave
            assert by_column["Participant"] == set(PAYLOADS)
            continue
        names = {*PAYLOADS, *(f"{p} {p}" for p in PAYLOADS)}
        assert by_column["Participant"] == names  # exactly as typed: no apostrophe added
        for column in ("E-mail", "Organisation", "Role"):
            assert by_column[column] == set(PAYLOADS), column
        for label in typed:
            assert by_column[label] == set(PAYLOADS), label
        assert by_column["First answer"] >= set(PAYLOADS)
