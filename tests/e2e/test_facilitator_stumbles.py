"""What facilitators and organisers stumbled on (issue 18): spreadsheets that open and
print well, /stats on a phone, staff counted as participants, /registrations cut at 50."""

from __future__ import annotations

import io
import struct
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.base.clock import ManualClock
from bot.base.settings import Settings
from bot.base.telegram_text import shown_length
from bot.sandbox.harness import Sandbox
from store import participants, registrations
from store import roles as role_store
from store.registrations import Details
from store.roles import Role
from tests.e2e.test_facilitators import PNG, TYPED, configured, facilitator, reflect
from tests.e2e.test_registration import sign_up

ORGANISER = 9200002  # in settings.toml's [roles]
GRANTED = 9200003  # an organiser by `mooc-bot roles grant`
LONG = "\n".join(["A thought that runs on over many words, " * 6] * 4)  # 4 paragraphs


@pytest.fixture
async def tg(settings: Settings, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Sandbox]:
    shaped = configured(settings, capacity=20)
    roles = shaped.roles.model_copy(update={"organisers": [ORGANISER]})
    async with Sandbox(
        shaped.model_copy(update={"roles": roles}),
        tmp_path / "s.sqlite3",
        clock=clock,
        poll_timeout=1,
    ) as box:
        yield box


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR header."""
    assert data.startswith(PNG)
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def test_staff_are_left_out_and_the_spreadsheets_open_and_print_well(
    tg: Sandbox, clock: ManualClock
) -> None:
    ann = tg.person("Ann")
    await reflect(ann, {**TYPED, "q4": LONG})
    await sign_up(ann)
    await ann.expect("You're registered")
    # Staff trying the bot: a granted organiser who answers and registers, and the
    # facilitator of settings.toml.
    await role_store.grant(tg.store, GRANTED, Role.ORGANISER, None, clock.now())
    gus = tg.person("Gus", user_id=GRANTED)
    await reflect(gus, TYPED)
    await sign_up(gus, "gus@example.org")
    await gus.expect("You're registered")
    fenna = facilitator(tg)

    fenna.send("/stats")
    funnel = await fenna.expect("From /start to five answers")
    chart = await fenna.expect("Each group's funnel")
    assert "Started: 1 (100 %)" in funnel.shown_text  # Ann only: Gus and Fenna are staff
    assert "Registered: 1 (100 %)" in funnel.shown_text

    fenna.send("/export")
    sent = await fenna.expect("answers.xlsx")
    assert "1 participant(s)" in sent.shown_text
    await fenna.expect("answers.csv")
    assert sent.document is not None
    book = load_workbook(io.BytesIO(sent.document.data))
    for sheet in book.worksheets:  # printed: landscape, one page wide, header on each page
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert sheet.page_setup.fitToHeight == 0, sheet.title  # as many pages tall as needed
        assert sheet.print_title_rows == "$1:$1", sheet.title
        assert len(sheet.title) <= 31
        names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert not {"Gus", "Fenna"} & set(names), sheet.title
    q4 = book["Q4 4 · Suggestions for research"]
    assert q4.cell(2, 5).value == LONG
    height = q4.row_dimensions[2].height
    assert height is not None
    assert 15 * 8 <= height <= 409  # 4 paragraphs of 2+ lines
    q1 = book["Q1 1 · Recognise the problem"]
    header = [cell.value for cell in q1[1]]
    assert q1.cell(2, 5).value == "Yes"
    assert q1.column_dimensions["E"].width < 14  # the quick choice is narrow
    assert q1.column_dimensions["F"].width >= 60  # the words beside it wide
    quote = header.index("Quote") + 1
    assert q1.column_dimensions[q1.cell(1, quote).column_letter].width <= 14
    assert q1.row_dimensions[2].height is None  # a short answer: one line is enough

    seats = list(book["Registrations"].iter_rows(values_only=True))
    columns = seats[0]
    assert len(seats) == 2  # Ann; Gus (staff) left out
    ann_row = dict(zip(columns, seats[1], strict=True))
    assert ann_row["E-mail"] == "ann@example.org"
    assert ann_row["Organisation"] == "Society for Organisational Learning NL"
    assert ann_row["Role"] == "Facilitator 🌱"
    assert ann_row["Knows the subject from"] == "From daily practice"
    assert ann_row["Consent given (UTC)"] == clock.now().isoformat(" ", "minutes")[:16]

    fenna.send("/roster")
    roster = await fenna.expect("roster.xlsx")
    assert roster.document is not None
    sheet = load_workbook(io.BytesIO(roster.document.data))["Roster"]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    ann_roster = dict(zip(rows[0], rows[1], strict=True))
    assert ann_roster["Participant"] == "Ann"
    assert ann_roster["E-mail"] == "ann@example.org"
    assert ann_roster["Knows the subject from"] == "From daily practice"
    assert ann_roster["Consent given (UTC)"]
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.print_title_rows == "$1:$1"

    assert chart.photo is not None  # drawn for a phone: 1080 px wide, taller than wide
    width, height = png_size(chart.photo.data)
    assert width == 1080
    assert height > width
    assert width + height <= 10000


async def test_stats_is_one_message_and_a_panel_per_group(tg: Sandbox) -> None:
    """Everyone, two languages and a session: one message of the four groups."""
    ann, bram = tg.person("Ann"), tg.person("Bram", language_code="nl")
    await sign_up(ann)
    await ann.expect("You're registered")
    bram.send("/start")
    await bram.expect("")
    fenna = facilitator(tg)
    fenna.send("/stats")
    funnel = await fenna.expect("From /start to five answers")
    chart = await fenna.expect("Each group's funnel")
    text = funnel.shown_text
    assert shown_length(funnel.text or "") <= 4096
    for title in ("Everyone · 2 started", "English · 1 started", "Nederlands · 1 started"):
        assert title in text
    assert f"{tg.settings.sessions[0].title} · 1 started" in text
    between = [m for m in fenna.bot_messages() if m.message_id > funnel.message_id]
    assert between == [chart]  # nothing else: one message, then the chart
    assert chart.photo is not None
    width, height = png_size(chart.photo.data)
    assert (width, height > 2 * width) == (1080, True)  # four panels one under the other


async def test_registrations_list_everyone_registered_then_waitlisted_a_page_at_a_time(
    tg: Sandbox, clock: ManualClock
) -> None:
    session = tg.settings.sessions[0]  # 20 seats
    for n in range(1, 33):  # 20 seated, 12 waiting; some names long enough to fill a page
        when = clock.now() + timedelta(seconds=n)
        await participants.seen(
            tg.store,
            telegram_id=7000 + n,
            chat_id=7000 + n,
            first_name=f"P{n}",
            last_name=None,
            username=None,
            language="en",
            now=when,
        )
        name = f"Person {n:02d}" + (" van der Berg-Oranje" * 14 if n % 2 == 0 else "")
        await registrations.register(
            tg.store,
            participant_id=7000 + n,
            session_id=session.id,
            capacity=session.capacity,
            details=Details(name, f"p{n}@example.org", knows="both"),
            now=when,
        )
    olga = tg.person("Olga", user_id=ORGANISER)
    olga.send("/registrations")
    listing = await olga.expect("Registered: 20 of 20 · Waitlist: 12")
    pages = [listing.shown_text]
    assert shown_length(listing.text or "") <= 4096
    while "Next ▶" in listing.button_labels:
        olga.press("Next ▶", listing)
        await olga.expect_edit(listing, f"Page {len(pages) + 1} of")
        assert shown_length(listing.text or "") <= 4096
        pages.append(listing.shown_text)
    assert len(pages) >= 2
    assert pages[0].count("@example.org") < 25  # the long names: fewer than 25 fit 4096
    assert all(f"of {len(pages)}" in page for page in pages)
    seen = " ".join(pages)
    order = [seen.index(f"Person {n:02d}") for n in range(1, 33)]
    assert order == sorted(order)  # seated first, then the waitlist, in order
    assert "Waitlist\n⏳ 1. Person 21" in seen
    assert "⏳ 12. Person 32" in pages[-1]
    olga.press("◀ Previous", listing)
    await olga.expect_edit(listing, f"Page {len(pages) - 1} of")
