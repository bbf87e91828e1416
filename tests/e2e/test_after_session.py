"""After the session: attendance (toggles in the chat and an import from the meeting tool),
the thank-you and "sorry we missed you", and the question a week on."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot.base.clock import ManualClock
from bot.base.settings import Settings
from bot.cli.main import main
from bot.sandbox import Person
from bot.sandbox.harness import Sandbox
from store import audit, registrations
from store.registrations import RegistrationStatus
from tests.conftest import ROOT
from tests.e2e.test_facilitators import FACILITATOR, configured, exported, text_answer
from tests.e2e.test_registration import sign_up

RECORDING = "https://video.example.org/learning-culture"
ZOOM_LIST = """Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes)
Cas,CAS@Example.org,01/21/2027 03:58:12 PM,01/21/2027 05:31:40 PM,94
Zed Unknown,zed@example.org,01/21/2027 04:02:00 PM,01/21/2027 05:30:00 PM,88
Ann,ann@example.org,01/21/2027 04:00:00 PM,01/21/2027 05:30:00 PM,90
"""


async def seated(tg: Sandbox, name: str) -> Person:
    person = tg.person(name)
    await sign_up(person, f"{name.lower()}@example.org")
    await person.expect("You're registered")
    return person


def said(person: Person, words: str) -> list[str]:
    return [m.shown_text for m in person.bot_messages() if words in m.shown_text]


async def statuses(tg: Sandbox) -> dict[str, RegistrationStatus]:
    everyone = await registrations.for_session(tg.store, tg.settings.sessions[0].id)
    return {r.details.name: r.status for r in everyone}


async def test_attendance_decides_the_follow_ups_and_the_week_on_question(
    settings: Settings,
    tmp_path: Path,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base = configured(settings)
    session = base.sessions[0].model_copy(update={"recording_url": RECORDING})
    db = tmp_path / "after.sqlite3"
    async with Sandbox(
        base.model_copy(update={"sessions": [session]}), db, clock=clock, poll_timeout=1
    ) as tg:
        ann, bea, cas = [await seated(tg, name) for name in ("Ann", "Bea", "Cas")]
        fenna = tg.person("Fenna", user_id=FACILITATOR)
        fenna.send("/attendance")  # before the start: marking would end their reminders
        await fenna.expect("No session has started yet")
        fenna.send(f"/attendance {session.id}")
        await fenna.expect("has not started yet")

        # A day after the end, nobody is marked yet: nobody is told anything.
        clock.set(session.ends_at + timedelta(days=1))
        await tg.dispatch()
        for person in (ann, bea, cas):
            assert not said(person, "Thank you for joining")
            assert not said(person, "missed you")

        fenna.send("/attendance")
        page = await fenna.expect("Attendance:")
        assert "0 of 3 marked" in page.shown_text
        assert page.button_labels == ["⬜ Ann", "⬜ Bea", "⬜ Cas"]
        fenna.press("⬜ Ann", page)
        await tg.world.wait_for(lambda: "✅ Ann" in page.button_labels)
        assert "1 of 3 marked" in page.shown_text
        fenna.press_data(page, f"at:knowledge-sharing:{ann.user.id}:0:1")  # a double tap
        await fenna.expect_edit(page)
        assert page.button_labels[0] == "✅ Ann"  # sets what it showed: still marked
        fenna.press("⬜ Bea", page)
        await tg.world.wait_for(lambda: "✅ Bea" in page.button_labels)
        fenna.press("✅ Bea", page)  # a slip, undone
        await tg.world.wait_for(lambda: "⬜ Bea" in page.button_labels)
        fenna.press_data(page, "at:nonsense:1:0:1")
        await fenna.expect_toast("no longer active")
        bea.send("/attendance")
        await bea.expect("I don't know the command /attendance")

        # The meeting tool's list marks Cas (matched by e-mail, any case); Zed is unknown.
        listing = tmp_path / "zoom.csv"
        listing.write_text(ZOOM_LIST, encoding="utf-8")
        monkeypatch.setenv("MOOC_BOT_DB", str(db))
        argv = ["--settings", str(ROOT / "settings.toml"), "attendance", "import", str(listing)]
        assert await asyncio.to_thread(main, [*argv, "--session", session.id]) == 0
        printed = capsys.readouterr().out
        assert "3 e-mail address(es)" in printed
        assert "marked 1 as attended, 1 already marked, 1 not registered" in printed
        assert "not registered: zed@example.org" in printed
        assert "knowledge-sharing: 2 of 3 seated marked as attended" in printed
        assert await statuses(tg) == {
            "Ann": RegistrationStatus.ATTENDED,
            "Bea": RegistrationStatus.REGISTERED,
            "Cas": RegistrationStatus.ATTENDED,
        }
        actions = [e.action for e in await audit.recent(tg.store, 50)]
        assert actions.count("attendance.marked") == 2  # Ann, Bea (the double tap changed nothing)
        assert "attendance.unmarked" in actions
        assert "attendance.imported" in actions

        # The follow-up waited for the attendance and goes out at its next look.
        clock.set(session.ends_at + timedelta(days=1, hours=6))
        await tg.dispatch()
        thanks = await ann.expect("Thank you for joining")
        assert f"The recording and slides: {RECORDING}" in thanks.shown_text
        assert RECORDING in (await cas.expect("Thank you for joining")).shown_text
        missed = await bea.expect("We missed you")
        assert "The MOOC: https://mooc.example.org/" in missed.shown_text
        assert RECORDING not in missed.shown_text
        await tg.dispatch()
        assert [len(said(p, "Thank you for joining")) for p in (ann, bea, cas)] == [1, 0, 1]
        assert len(said(bea, "We missed you")) == 1

        # A week on, those who attended get one more question.
        clock.set(session.ends_at + timedelta(days=7))
        await tg.dispatch()
        invite = await ann.expect("Some days have passed since")
        await cas.expect("Some days have passed since")
        ann.press("✍️ Answer", invite)
        await ann.expect("What will you do differently after this session?")
        await text_answer(ann, "Start every team meeting with one lesson learned. 🌱")
        await ann.expect("Your answer is saved")
        assert not said(bea, "Some days have passed")
        bea.press_data(bea.bot_messages()[-1], "after:knowledge-sharing")  # a forged press
        await bea.expect_toast("no longer active")
        bea.press_data(bea.bot_messages()[-1], "f:af:g:x:x")  # the dialogue's own, forged
        await bea.expect_toast("no longer active")
        await tg.dispatch()
        assert len(said(ann, "Some days have passed since")) == 1

        # The answer joins what facilitators read: /answers and both export files.
        fenna.send("/answers")
        choose = await fenna.expect("Which question?")
        fenna.press("After the session: what I will do differently (1)", choose)
        await fenna.expect_edit(choose, "one lesson learned")
        book, rows = await exported(fenna)
        sixth = next(ws for ws in book.worksheets if ws.title.startswith("Q6 After the session"))
        sheet = list(sixth.iter_rows(values_only=True))
        assert sheet[0][4] == "After the session: what I will do differently"
        assert [(r[0], r[4]) for r in sheet[1:]] == [
            ("Ann", "Start every team meeting with one lesson learned. 🌱")
        ]
        people = list(book["Participants"].iter_rows(values_only=True))
        column = people[0].index("After the session: what I will do differently")
        assert {r[0]: r[column] for r in people[1:]}["Ann"] == (
            "Start every team meeting with one lesson learned. 🌱"
        )
        assert [r[5] for r in rows if r[3] == "after"] == [
            "Start every team meeting with one lesson learned. 🌱"
        ]


async def test_people_registered_before_an_upgrade_are_owed_their_follow_ups_at_start(
    settings: Settings, tmp_path: Path, clock: ManualClock
) -> None:
    db = tmp_path / "upgrade.sqlite3"
    async with Sandbox(configured(settings), db, clock=clock, poll_timeout=1) as tg:
        ann = await seated(tg, "Ann")
        await tg.store.execute("DELETE FROM outbox WHERE kind IN ('followup', 'after')")
        bea = tg.person("Bea")
        await sign_up(bea, "bea@example.org")
        await bea.expect("You're registered")
        await tg.store.execute(
            "UPDATE outbox SET status = 'cancelled' WHERE kind = 'followup' AND participant_id = ?",
            (bea.user.id,),
        )
    async with Sandbox(configured(settings), db, clock=clock, poll_timeout=1) as again:
        rows = await again.store.fetch_all(
            "SELECT participant_id, kind, status FROM outbox WHERE kind IN ('followup', 'after')"
            " ORDER BY participant_id, kind"
        )
        owed = {(r["participant_id"], r["kind"], r["status"]) for r in rows}
        assert owed == {
            (ann.user.id, "after", "pending"),
            (ann.user.id, "followup", "pending"),
            (bea.user.id, "after", "pending"),
            (bea.user.id, "followup", "cancelled"),  # a decision already taken stays taken
        }
