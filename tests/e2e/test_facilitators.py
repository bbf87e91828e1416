"""Facilitators read, export and count what was collected; participants see and delete theirs."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from bot.base.clock import ManualClock
from bot.base.settings import Settings
from bot.sandbox import Person
from bot.sandbox.harness import Sandbox
from bot.services.privacy import purge
from store import audit, participants, registrations
from store.privacy import everything
from store.registrations import RegistrationStatus
from tests.e2e.test_course import CARDS_PER_SECTION, read_section
from tests.e2e.test_registration import sign_up

FACILITATOR = 9200001
PNG = b"\x89PNG\r\n\x1a\n"
TYPED = {
    "q1why": "<b>not bold</b> & a tag — 🌱 مرحبا بالعالم",
    "q3why": "+31 6 1234 5678 is my number",
    "q4": '=HYPERLINK("http://evil.example","click")',
    "q5": "@everyone -- keep going",
}


def configured(settings: Settings, *, capacity: int | None = None, **privacy: object) -> Settings:
    roles = settings.roles.model_copy(update={"facilitators": [FACILITATOR]})
    changes: dict[str, object] = {
        "roles": roles,
        "privacy": settings.privacy.model_copy(update=privacy),
    }
    if capacity is not None:
        session = settings.sessions[0].model_copy(update={"capacity": capacity})
        changes["sessions"] = [session]
    return settings.model_copy(update=changes)


@pytest.fixture
async def tg(settings: Settings, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Sandbox]:
    async with Sandbox(
        configured(settings, capacity=1), tmp_path / "f.sqlite3", clock=clock, poll_timeout=1
    ) as box:
        yield box


async def text_answer(person: Person, text: str) -> None:
    person.send(text)
    await person.expect("Noted ✓")
    person.press("Done ✓")


async def reflect(person: Person, typed: dict[str, str]) -> None:
    """All five questions as a person taps and types them, then Confirm."""
    person.send("/reflect")
    person.press("Yes", await person.expect("1/5"))
    await person.expect("What do you recognise")
    await text_answer(person, typed["q1why"])
    person.press("Partly", await person.expect("2/5"))
    await person.expect("Why (or why not)?")
    person.press("Skip ▶")
    person.press("🤔 Mixed", await person.expect("3/5"))
    await person.expect("What makes you think so?")
    await text_answer(person, typed["q3why"])
    await person.expect("4/5")
    await text_answer(person, typed["q4"])
    await person.expect("5/5")
    await text_answer(person, typed["q5"])
    person.press("✅ Confirm", await person.expect("Your answers"))
    await person.expect("Thank you! Your reflections are saved")


async def first_answer(person: Person, words: str) -> None:
    """Only question 1 (choice and words); the dialogue then waits at question 2."""
    person.send("/reflect")
    person.press("Yes", await person.expect("1/5"))
    await person.expect("What do you recognise")
    await text_answer(person, words)
    await person.expect("2/5")


async def ann_seated_bea_waiting(tg: Sandbox) -> tuple[Person, Person]:
    """Ann answers everything and takes the one seat; Bea goes on the waitlist."""
    ann, bea = tg.person("Ann"), tg.person("Bea")
    await reflect(ann, TYPED)
    await sign_up(ann)
    await ann.expect("You're registered")
    await sign_up(bea, "bea@example.org")
    await bea.expect("You're on the waitlist")
    return ann, bea


def facilitator(tg: Sandbox) -> Person:
    return tg.person("Fenna", user_id=FACILITATOR)


async def exported(fenna: Person) -> tuple[Workbook, list[list[str]]]:
    """/export as a facilitator receives it: answers.xlsx opened, answers.csv read."""
    fenna.send("/export")
    xlsx = await fenna.expect("answers.xlsx")
    csv_file = await fenna.expect("answers.csv")
    assert xlsx.document is not None
    assert csv_file.document is not None
    book = load_workbook(io.BytesIO(xlsx.document.data))
    return book, list(csv.reader(io.StringIO(csv_file.document.data.decode("utf-8-sig"))))


async def test_answers_come_newest_first_a_page_at_a_time_and_can_be_searched(
    tg: Sandbox, clock: ManualClock
) -> None:
    for n in range(1, 8):
        await first_answer(
            tg.person(f"P{n}"),
            f"Answer number {n} about leadership" * (n == 4) or f"Answer number {n}",
        )
        clock.advance(timedelta(minutes=5))
    fenna = facilitator(tg)
    fenna.send("/answers")
    choose = await fenna.expect("Which question?")
    assert "7 participant(s)" in choose.shown_text
    assert choose.button_labels[0] == "1 · Recognise the problem? (7)"
    fenna.press("1 · Recognise the problem? (7)", choose)
    await fenna.expect_edit(choose, "7 answer(s), newest first · page 1 of 2")
    shown = [line for line in choose.shown_text.splitlines() if line.startswith("P")]
    assert [line.split(" · ")[0] for line in shown] == ["P7", "P6", "P5", "P4", "P3"]
    assert "Yes — Answer number 7" in choose.shown_text
    assert choose.button_labels == ["Next ▶", "☰ Questions"]
    fenna.press("Next ▶", choose)
    await fenna.expect_edit(choose, "page 2 of 2")
    assert "P2 ·" in choose.shown_text
    assert "P1 ·" in choose.shown_text
    assert "P3 ·" not in choose.shown_text
    assert choose.button_labels == ["◀ Previous", "☰ Questions"]
    fenna.send("/answers LEADERSHIP")
    found = await fenna.expect("Answers with “LEADERSHIP”")
    assert "1 found" in found.shown_text
    assert "P4 ·" in found.shown_text
    fenna.send("/answers nothing-like-this")
    await fenna.expect("No answer contains “nothing-like-this”")


async def test_someone_without_the_role_gets_the_unknown_command_answer_and_is_audited(
    tg: Sandbox,
) -> None:
    ann = tg.person("Ann")
    ann.send("/export")
    await ann.expect("I don't know the command /export")
    assert [(e.actor_id, e.action) for e in await audit.recent(tg.store)] == [
        (ann.user.id, "refused:export")
    ]


async def test_export_documents_hold_exactly_what_was_typed_with_formulas_defused(
    tg: Sandbox,
) -> None:
    await ann_seated_bea_waiting(tg)
    fenna = facilitator(tg)
    fenna.send("/export")
    xlsx = await fenna.expect("answers.xlsx")
    assert "2 participant(s)" in xlsx.shown_text  # Ann and Bea: Fenna is staff, left out
    csv_file = await fenna.expect("answers.csv")
    assert xlsx.document is not None
    assert csv_file.document is not None
    assert xlsx.document.name == "answers.xlsx"

    book = load_workbook(io.BytesIO(xlsx.document.data))
    assert book.sheetnames[:5] == [
        "Q1 1 · Recognise the problem",
        "Q2 2 · Importance",
        "Q3 3 · Change from Within",
        "Q4 4 · Suggestions for research",
        "Q5 5 · For the makers",
    ]
    q4 = book["Q4 4 · Suggestions for research"]
    header = [cell.value for cell in q4[1]]
    assert header[:4] == ["Participant", "Language", "Session", "Answered (UTC)"]
    row = list(q4[2])
    assert row[0].value == "Ann"
    assert row[4].value == TYPED["q4"]
    assert row[4].data_type == "s"  # text, never a formula
    assert q4.column_dimensions["E"].width >= 60
    assert row[4].alignment.wrap_text
    assert q4.freeze_panes == "A2"  # the header stays in view
    assert q4.auto_filter.ref.startswith("A1:")
    q1 = [cell.value for cell in book["Q1 1 · Recognise the problem"][2]]
    # Never edited: the first-version columns stay empty; the default quote: nobody chose.
    assert q1[4:] == ["Yes", TYPED["q1why"], None, None, "🕶 anonymously"]
    people = list(book["Participants"].iter_rows(values_only=True))
    ann_row = next(r for r in people if r[0] == "Ann")
    assert TYPED["q5"] in ann_row
    assert TYPED["q3why"] in ann_row
    seats = list(book["Registrations"].iter_rows(values_only=True))
    assert seats[0][:8] == (
        "Participant",
        "E-mail",
        "Organisation",
        "Role",
        "Knows the subject from",
        "Session",
        "Status",
        "Waitlist position",
    )
    assert [(r[0], r[1], r[6], r[7]) for r in seats[1:]] == [
        ("Ann", "ann@example.org", "registered", None),
        ("Bea", "bea@example.org", "waitlisted", 1),
    ]

    raw = csv_file.document.data
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == [
        "Participant",
        "Language",
        "Session",
        "Question",
        "Part",
        "Answer",
        "Answered (UTC)",
        "First answer",
        "First answered (UTC)",
        "Quote",
    ]
    by_part = {(r[3], r[4]): r[5] for r in rows[1:] if r[0] == "Ann"}
    assert by_part[("q1", "1 · In your words")] == TYPED["q1why"]
    assert by_part[("q4", "4 · Suggestions for research")] == "'" + TYPED["q4"]
    assert by_part[("q5", "5 · For the makers")] == "'" + TYPED["q5"]
    assert by_part[("q3", "3 · In your words")] == "'" + TYPED["q3why"]
    assert ("q2", "2 · In your words") not in by_part  # skipped: no row


async def test_export_shows_an_edited_answer_as_first_given_beside_the_final_one(
    tg: Sandbox, clock: ManualClock
) -> None:
    ann, bea = tg.person("Ann"), tg.person("Bea")
    await reflect(ann, TYPED)  # at 09:00
    clock.advance(timedelta(hours=2))
    ann.send("/myanswers")
    ann.press("✏️ 1 · In your words", await ann.expect("Your answers"))
    await ann.expect("Your answer so far")
    await text_answer(ann, "Changed my mind.")
    ann.press("✏️ 4 · Suggestions for research", await ann.expect("Your answers"))
    await ann.expect("Your answer so far")
    await text_answer(ann, "Second thoughts.")
    await ann.expect("Your answers")
    clock.advance(timedelta(hours=1))
    await first_answer(bea, "Only once")  # at 12:00, never edited

    book, rows = await exported(facilitator(tg))
    q1 = list(book["Q1 1 · Recognise the problem"].iter_rows(values_only=True))
    assert q1[0] == (
        "Participant",
        "Language",
        "Session",
        "Answered (UTC)",
        "1 · Recognise the problem?",
        "1 · In your words",
        "First answer",
        "First answered (UTC)",
        "Quote",
    )
    by_name = {row[0]: row for row in q1[1:]}
    assert by_name["Ann"][3:8] == (
        "2026-12-01 11:00",
        "Yes",
        "Changed my mind.",
        "Yes — " + TYPED["q1why"],  # its steps joined as /answers shows them
        "2026-12-01 09:00",
    )
    assert by_name["Bea"][3:8] == ("2026-12-01 12:00", "Yes", "Only once", None, None)
    q4 = book["Q4 4 · Suggestions for research"]
    assert [cell.value for cell in q4[1]][5:7] == ["First answer", "First answered (UTC)"]
    first = q4[2][5]
    assert (q4[2][4].value, first.value) == ("Second thoughts.", TYPED["q4"])
    assert first.data_type == "s"  # the first version is text too, never a formula
    q2 = list(book["Q2 2 · Importance"].iter_rows(values_only=True))
    assert q2[1][0] == "Ann"
    assert q2[1][-3:-1] == (None, None)  # her other answers were never edited

    assert rows[0][5:9] == ["Answer", "Answered (UTC)", "First answer", "First answered (UTC)"]
    history = {(r[0], r[3], r[4]): r[5:9] for r in rows[1:]}
    assert history[("Ann", "q1", "1 · Recognise the problem?")] == [
        "Yes",
        "2026-12-01 11:00",
        "Yes",
        "2026-12-01 09:00",
    ]
    assert history[("Ann", "q1", "1 · In your words")] == [
        "Changed my mind.",
        "2026-12-01 11:00",
        TYPED["q1why"],
        "2026-12-01 09:00",
    ]
    assert history[("Ann", "q4", "4 · Suggestions for research")] == [
        "Second thoughts.",
        "2026-12-01 11:00",
        "'" + TYPED["q4"],  # guarded like the answer beside it
        "2026-12-01 09:00",
    ]
    assert history[("Ann", "q5", "5 · For the makers")][2:] == ["", ""]
    assert history[("Bea", "q1", "1 · In your words")] == [
        "Only once",
        "2026-12-01 12:00",
        "",
        "",
    ]


async def test_anonymised_answers_and_exports_show_numbers_and_no_contact_details(
    settings: Settings, tmp_path: Path, clock: ManualClock
) -> None:
    anonymous = configured(settings, anonymise_answers=True)
    async with Sandbox(anonymous, tmp_path / "a.sqlite3", clock=clock, poll_timeout=1) as tg:
        ann = tg.person("Ann")
        await first_answer(ann, "Mine")
        await sign_up(ann)
        await ann.expect("You're registered")
        fenna = facilitator(tg)
        fenna.send("/answers Mine")
        found = await fenna.expect("Answers with “Mine”")
        assert "Participant 1 ·" in found.shown_text
        assert "Ann" not in found.shown_text
        fenna.send("/export")
        xlsx = await fenna.expect("anonymised")
        assert xlsx.document is not None
        book = load_workbook(io.BytesIO(xlsx.document.data))
        values = [
            str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
        ]
        assert "Participant 1" in values
        unanswered = book["Q5 5 · For the makers"]  # nobody got this far: headers all the same
        assert [cell.value for cell in unanswered[1]][:2] == ["Participant", "Language"]
        assert not [v for v in values if "Ann" in v or "@example.org" in v]


async def test_stats_count_the_funnel_and_draw_it(tg: Sandbox) -> None:
    ann, bea, cas = tg.person("Ann"), tg.person("Bea"), tg.person("Cas")
    await reflect(ann, TYPED)
    await first_answer(bea, "Just one")
    await sign_up(ann)
    await ann.expect("You're registered")
    await sign_up(bea, "bea@example.org")
    await bea.expect("You're on the waitlist")
    cas.send("/start")
    await cas.expect("What would you like to do?")
    fenna = facilitator(tg)
    fenna.send("/stats")
    everyone = await fenna.expect("Everyone")
    text = everyone.shown_text
    assert "Started: 3 (100 %)" in text  # Ann, Bea and Cas: Fenna is staff, not counted
    assert "Registered: 1 (33 %)" in text
    assert "On the waitlist: 1 (33 %)" in text
    assert "Answered 1 · Recognise the problem?: 2 (67 %)" in text
    assert "Answered 4 · Suggestions for research: 1 (33 %)" in text
    assert "Answered all five: 1 (33 %)" in text
    assert "Read: " in text
    session = text.split(tg.settings.sessions[0].title, 1)[1]  # the same message
    assert "Started: 2 (100 %)" in session
    assert "Answered all five: 1 (50 %)" in session
    chart = await fenna.expect("Each group's funnel")
    assert chart.photo is not None
    assert chart.photo.data.startswith(PNG)


async def test_mydata_sends_everything_held_about_the_person(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    await reflect(ann, TYPED)
    await sign_up(ann)
    await ann.expect("You're registered")
    ann.send("/mydata")
    sent = await ann.expect("Everything I hold about you")
    assert sent.document is not None
    assert sent.document.name == "mydata.json"
    document = json.loads(sent.document.data)
    tables = document["tables"]
    assert tables["participants"][0]["first_name"] == "Ann"
    assert {a["step_id"]: a["value"] for a in tables["answers"]}["q4"] == TYPED["q4"]
    assert tables["registrations"][0]["email"] == "ann@example.org"
    assert tables["flow_states"]
    assert tables["outbox"]  # the reminders owed to her
    now = json.loads(json.dumps(await everything(tg.store, ann.user.id), default=str))
    # The way in changed since: /mydata's own update is handled now and its reply sent.
    assert [row["update_id"] for row in tables["inbox"]] == [r["update_id"] for r in now["inbox"]]
    settled = {"inbox", "outbox"}
    assert {k: v for k, v in tables.items() if k not in settled} == {
        k: v for k, v in now.items() if k not in settled
    }
    assert [r for r in tables["outbox"] if r["kind"] != "reply"] == [
        r for r in now["outbox"] if r["kind"] != "reply"
    ]


async def test_forget_removes_everything_and_the_waitlist_moves_up(
    tg: Sandbox, clock: ManualClock
) -> None:
    ann, bea = await ann_seated_bea_waiting(tg)
    ann.send("/forget")
    ask = await ann.expect("Delete everything I hold about you?")
    assert tg.settings.sessions[0].title in ask.shown_text
    yes = ask.buttons[0][0]["callback_data"]
    ann.press("🗑 Yes, delete everything", ask)
    await ann.expect("everything I held about you is deleted")
    await tg.settle()
    assert all(rows == [] for rows in (await everything(tg.store, ann.user.id)).values())
    entries = await audit.recent(tg.store)
    forgotten = [e for e in entries if e.action == "participant.forgotten"]
    assert len(forgotten) == 1
    assert forgotten[0].actor_id is None
    assert "Ann" not in json.dumps(forgotten[0].detail)
    assert all(e.actor_id != ann.user.id for e in entries)
    clock.advance(timedelta(minutes=1))
    await tg.dispatch()
    await bea.expect("a place came free and you're in")
    [seat] = await registrations.live(tg.store, bea.user.id)
    assert seat.status is RegistrationStatus.REGISTERED
    # A second tap on the old "yes" deletes nothing new and keeps nothing either.
    ann.press_data(ask, yes)
    assert await ann.expect_toast("Already deleted")
    assert await participants.get(tg.store, ann.user.id) is None
    fenna = facilitator(tg)
    fenna.send("/export")
    xlsx = await fenna.expect("answers.xlsx")
    assert xlsx.document is not None
    book = load_workbook(io.BytesIO(xlsx.document.data))
    values = [str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row]
    assert not [v for v in values if "Ann" in v or TYPED["q4"] in v]


async def test_no_keeps_everything(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    await first_answer(ann, "Keep me")
    ann.send("/forget")
    ann.press("No, keep my data", await ann.expect("Delete everything"))
    await ann.expect("Nothing was deleted.")
    assert await participants.get(tg.store, ann.user.id) is not None


async def test_retention_deletes_people_whose_session_ended_long_enough_ago(
    settings: Settings, tmp_path: Path, clock: ManualClock
) -> None:
    kept = configured(settings, delete_after_days=30)
    async with Sandbox(kept, tmp_path / "r.sqlite3", clock=clock, poll_timeout=1) as tg:
        ann = tg.person("Ann")
        await sign_up(ann)
        await ann.expect("You're registered")
        assert tg.app is not None
        desk = tg.app.bot_data.desk
        session = tg.settings.sessions[0]
        ended = session.starts_at + timedelta(minutes=session.duration_minutes)
        assert await purge(desk, tg.settings, ended + timedelta(days=29)) == 0
        assert await participants.get(tg.store, ann.user.id) is not None
        assert await purge(desk, tg.settings, ended + timedelta(days=31)) == 1
        assert await participants.get(tg.store, ann.user.id) is None


async def test_roster_lists_who_is_coming_and_how_far_each_got(tg: Sandbox) -> None:
    ann, _ = await ann_seated_bea_waiting(tg)  # Ann answered all five; Bea nothing
    ann.send("/course")
    card = await ann.expect("Part 1 of 4")
    await read_section(ann, card, CARDS_PER_SECTION[0])
    fenna = facilitator(tg)
    fenna.send("/roster")
    sent = await fenna.expect("roster.xlsx")
    assert (
        "Learning Culture: 1 registered, 1 on the waitlist · 0 read every part"
        " · 1 answered all five" in sent.shown_text
    )
    assert sent.entities[0]["type"] == "bold"  # the session's title
    assert sent.document is not None
    assert sent.document.name == "roster.xlsx"
    book = load_workbook(io.BytesIO(sent.document.data))
    rows = list(book["Roster"].iter_rows(values_only=True))
    assert rows[0][:7] == (
        "Participant",
        "Session",
        "Status",
        "Waitlist position",
        "Registered (UTC)",
        "Parts read",
        "Questions answered",
    )
    assert [(r[0], r[2], r[3], r[5], r[6]) for r in rows[1:]] == [
        ("Ann", "registered", None, "1", "5 of 5"),
        ("Bea", "waitlisted", 1, None, "0 of 5"),
    ]
    assert rows[1][7:12] == ("✓",) * 5
    assert rows[2][7:12] == (None,) * 5
    ann.send("/roster")  # a participant: not a command they have
    await ann.expect("I don't know the command /roster")


async def test_quoting_consent_is_asked_changeable_per_answer_and_respected(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    await reflect(ann, TYPED)
    ask = await ann.expect("How may your answers be used?")
    assert ask.button_labels == [
        "🗣 Quote me by name",
        "🕶 Quote me anonymously",
        "🔒 For the organisers only",
    ]
    ann.press("🗣 Quote me by name", ask)
    await ann.expect_edit(ask, "your answers: 🗣 Quote me by name")
    assert ask.button_labels == []

    ann.send("/myanswers")
    panel = await ann.expect("How your answers may be quoted")
    assert "4 · Suggestions for research: 🗣 Quote me by name" in panel.button_labels
    ann.press("4 · Suggestions for research: 🗣 Quote me by name", panel)  # → anonymously
    await ann.expect_edit(panel)
    await tg.world.wait_for(
        lambda: "4 · Suggestions for research: 🕶 Quote me anonymously" in panel.button_labels
    )
    ann.press("4 · Suggestions for research: 🕶 Quote me anonymously", panel)  # → private
    await tg.world.wait_for(
        lambda: "4 · Suggestions for research: 🔒 For the organisers only" in panel.button_labels
    )
    ann.press_data(panel, "qc:q9:name")  # a forged question changes nothing
    await ann.expect_toast("no longer active")
    ann.send("/myanswers")  # an edit after the five are confirmed: no new question
    ann.press("✏️ 5 · For the makers", await ann.expect("Your answers"))
    await text_answer(ann, "Second thoughts.")
    await ann.expect("Your answers")
    assert not [m for m in ann.bot_messages() if "How may your answers be used?" in m.shown_text]

    fenna = facilitator(tg)
    fenna.send("/answers")
    choose = await fenna.expect("Which question?")
    fenna.press("4 · Suggestions for research (1)", choose)
    await fenna.expect_edit(choose, "🔒 organisers only")
    fenna.send("/answers")
    again = await fenna.expect("Which question?")
    fenna.press("1 · Recognise the problem? (1)", again)
    await fenna.expect_edit(again, "🗣 by name")

    book, rows = await exported(fenna)
    q4 = list(book["Q4 4 · Suggestions for research"].iter_rows(values_only=True))
    assert q4[0][-1] == "Quote"
    assert q4[1][-1] == "🔒 organisers only"
    q1 = list(book["Q1 1 · Recognise the problem"].iter_rows(values_only=True))
    assert q1[1][-1] == "🗣 by name"
    assert {(r[3], r[-1]) for r in rows[1:]} == {
        ("q1", "🗣 by name"),
        ("q2", "🗣 by name"),
        ("q3", "🗣 by name"),
        ("q4", "🔒 organisers only"),
        ("q5", "🗣 by name"),
    }


FORMULAS = {  # every answer a formula payload, as typed
    "q1why": "+1+1",
    "q3why": "-2+3",
    "q4": "@SUM(1)",
    "q5": "\t=1",
}
DEFUSED_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")


def could_run(cell: str) -> bool:
    """Whether a spreadsheet may read the cell as a formula (a trigger first, or after
    the leading spaces some importers trim)."""
    return cell.startswith(DEFUSED_STARTS) or cell.lstrip().startswith(DEFUSED_STARTS)


async def test_a_participant_named_and_answering_in_formulas_is_exported_as_text_in_every_column(
    tg: Sandbox, clock: ManualClock
) -> None:
    name = '=cmd|" /C calc"!A0'
    mallory = tg.person(name)
    await reflect(mallory, FORMULAS)
    clock.advance(timedelta(hours=1))
    mallory.send("/myanswers")  # an edit: the first version's column holds a formula too
    mallory.press("✏️ 4 · Suggestions for research", await mallory.expect("Your answers"))
    await mallory.expect("Your answer so far")
    await text_answer(mallory, '=HYPERLINK("http://evil.example","click")')
    await mallory.expect("Your answers")
    # the name above (Done keeps it), then formulas in every field typed
    await sign_up(mallory, "=1+1@evil.example", organisation="@SUM(1)", role="-2+3")
    await mallory.expect("You're registered")

    book, rows = await exported(facilitator(tg))
    header, body = rows[0], rows[1:]
    assert body
    for row in body:  # every column of every row, whatever the columns are
        assert len(row) == len(header)
        for column, cell in zip(header, row, strict=True):
            assert not could_run(cell), (column, cell)
    hers = [row for row in body if row[0] == "'" + name]
    assert len(hers) == 7  # q1 choice and words, q2 choice (words skipped), q3 both, q4, q5
    answers = {(r[3], r[4]): (r[5], r[7]) for r in hers}
    assert answers[("q1", "1 · In your words")] == ("'+1+1", "")
    assert answers[("q3", "3 · In your words")] == ("'-2+3", "")
    assert answers[("q5", "5 · For the makers")] == ("'\t=1", "")
    assert answers[("q4", "4 · Suggestions for research")] == (
        "'" + '=HYPERLINK("http://evil.example","click")',
        "'@SUM(1)",
    )
    # The workbook keeps each exactly as typed, as text cells.
    seats = list(book["Registrations"].iter_rows())
    columns = [cell.value for cell in seats[0]]
    mine = next(row for row in seats[1:] if row[0].value == name)
    for column, typed in (
        ("Participant", name),
        ("E-mail", "=1+1@evil.example"),
        ("Organisation", "@SUM(1)"),
        ("Role", "-2+3"),
    ):
        cell = mine[columns.index(column)]
        assert (cell.value, cell.data_type, cell.quotePrefix) == (typed, "s", True)
    for sheet in book:
        for row in sheet.iter_rows(min_row=2):
            assert all(cell.data_type != "f" for cell in row), sheet.title


async def test_a_roster_caption_longer_than_telegram_allows_follows_the_file_whole(
    settings: Settings, tmp_path: Path, clock: ManualClock
) -> None:
    first = settings.sessions[0]
    many = [
        first.model_copy(
            update={
                "id": f"s{n}",
                "title": f"Learning Culture, partner office {n} 🌱",
                "starts_at": first.starts_at + timedelta(days=n),
            }
        )
        for n in range(40)
    ]
    crowded = configured(settings).model_copy(update={"sessions": many})
    async with Sandbox(crowded, tmp_path / "c.sqlite3", clock=clock, poll_timeout=1) as tg:
        fenna = facilitator(tg)
        fenna.send("/roster")
        await fenna.expect("partner office 39")
        [sent] = [m for m in fenna.bot_messages() if m.document is not None]
        assert sent.document is not None
        assert sent.document.name == "roster.xlsx"
        shown = "\n".join(m.shown_text for m in fenna.bot_messages() if m.document is None)
        assert all(f"partner office {n} 🌱:" in shown for n in range(40))  # none cut off
        assert len(shown.encode("utf-16-le")) // 2 > 1024
        assert not [m for m in fenna.bot_messages() if "went wrong" in m.shown_text]
