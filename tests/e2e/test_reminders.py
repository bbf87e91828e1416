"""Session reminders and the reflection nudge, with an injected clock (no sleeping)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.base.clock import ManualClock
from bot.base.settings import Settings
from bot.sandbox import Person
from bot.sandbox.harness import Sandbox
from store import outbox
from store.outbox import OutboxStatus
from tests.e2e.test_registration import sign_up, with_session


async def rows(tg: Sandbox, person: Person, kind: str) -> list[outbox.OutboxItem]:
    return [r for r in await outbox.for_participant(tg.store, person.user.id) if r.kind == kind]


async def registered(tg: Sandbox, name: str = "Ann") -> Person:
    person = tg.person(name)
    await sign_up(person, f"{name.lower()}@example.org")
    await person.expect("You're registered")
    return person


async def test_each_reminder_arrives_at_its_time_and_the_last_has_the_join_link(
    tg: Sandbox, clock: ManualClock
) -> None:
    ann = await registered(tg)
    starts = tg.settings.sessions[0].starts_at
    assert len(await rows(tg, ann, "reminder")) == 3
    clock.set(starts - timedelta(days=7, minutes=1))
    assert await tg.dispatch() == 0
    clock.set(starts - timedelta(days=7))
    await tg.dispatch()
    assert "starts in 7 days" in (await ann.expect("Reminder:")).shown_text
    clock.set(starts - timedelta(days=1))
    await tg.dispatch()
    tomorrow = await ann.expect("Reminder:")
    assert "starts tomorrow" in tomorrow.shown_text
    assert "meet.example.org" not in tomorrow.shown_text
    clock.set(starts - timedelta(hours=1))
    await tg.dispatch()
    last = await ann.expect("Reminder:")
    assert "starts in an hour" in last.shown_text
    assert "Join here: https://meet.example.org/learning-culture" in last.shown_text
    clock.set(starts + timedelta(days=1))
    await tg.dispatch()
    assert sum("Reminder:" in m.shown_text for m in ann.bot_messages()) == 3


async def test_late_registration_gets_only_the_reminders_still_ahead(
    settings: Settings, tmp_path: Path, clock: ManualClock
) -> None:
    session = settings.sessions[0]
    clock.set(session.starts_at - timedelta(minutes=50))
    late = with_session(settings, registration_closes_at=None)
    async with Sandbox(late, tmp_path / "db.sqlite3", clock=clock) as tg:
        ann = await registered(tg)
        assert await rows(tg, ann, "reminder") == []
    clock.set(session.starts_at - timedelta(hours=5))
    async with Sandbox(late, tmp_path / "db2.sqlite3", clock=clock) as tg:
        bea = await registered(tg, "Bea")
        assert [r.payload["minutes"] for r in await rows(tg, bea, "reminder")] == [60]


async def test_cancelling_removes_pending_reminders_and_waitlisted_get_none_until_moved_up(
    settings: Settings, tmp_path: Path, clock: ManualClock
) -> None:
    async with Sandbox(
        with_session(settings, capacity=1), tmp_path / "db.sqlite3", clock=clock
    ) as tg:
        ann = await registered(tg)
        bea = tg.person("Bea")
        await sign_up(bea, "bea@example.org")
        await bea.expect("waitlist")
        assert await rows(tg, bea, "reminder") == []
        ann.send("/cancel_registration")
        ann.press("Yes, cancel", await ann.expect("Cancel your registration"))
        await ann.expect("cancelled")
        assert {r.status for r in await rows(tg, ann, "reminder")} == {OutboxStatus.CANCELLED}
        assert len(await rows(tg, bea, "reminder")) == 3


async def test_moved_session_retimes_reminders_and_tells_people_once(
    tg: Sandbox, clock: ManualClock, settings: Settings
) -> None:
    ann = await registered(tg)
    old_start = tg.settings.sessions[0].starts_at
    await tg.stop_bot()
    moved = with_session(settings, starts_at=old_start + timedelta(days=2))
    tg.use_settings(moved)
    await tg.start_bot()
    await tg.dispatch()
    notice = await ann.expect("has moved")
    assert "Saturday 23 January 2027, 16:00" in notice.shown_text
    calendar = await ann.expect()
    assert calendar.document is not None
    dues = sorted(r.due_at for r in await rows(tg, ann, "reminder"))
    assert dues[-1] == old_start + timedelta(days=2) - timedelta(hours=1)
    await tg.stop_bot()
    await tg.start_bot()
    await tg.dispatch()
    assert sum("has moved" in m.shown_text for m in ann.bot_messages()) == 1


async def test_reminder_missed_while_down_is_sent_before_the_start_and_recorded_after(
    tg: Sandbox, clock: ManualClock
) -> None:
    ann = await registered(tg)
    starts = tg.settings.sessions[0].starts_at
    await tg.stop_bot()
    clock.set(starts - timedelta(hours=2))  # the 7-day and 1-day reminders fell due meanwhile
    await tg.start_bot()
    await tg.dispatch()
    await ann.expect("Reminder:")
    await tg.stop_bot()
    clock.set(starts + timedelta(minutes=5))  # down through the start: the 1-hour one is late
    await tg.start_bot()
    await tg.dispatch()
    statuses = sorted(r.status for r in await rows(tg, ann, "reminder"))
    assert statuses.count(OutboxStatus.MISSED) == 1
    assert statuses.count(OutboxStatus.SENT) == 2


async def test_nudge_reaches_only_those_with_unanswered_questions(
    tg: Sandbox, clock: ManualClock
) -> None:
    ann = await registered(tg)
    bea = await registered(tg, "Bea")
    bea.send("/reminders off")
    await bea.expect("no more nudges")
    starts = tg.settings.sessions[0].starts_at
    clock.set(starts - timedelta(days=2))
    await tg.dispatch()
    nudge = await ann.expect("You have answered 0 of 5 questions")
    assert nudge.button_labels == ["💬 Answer the questions"]
    ann.press("💬 Answer the questions", nudge)
    await ann.expect("1/5")
    assert not any("You have answered" in m.shown_text for m in bea.bot_messages())
    assert {r.status for r in await rows(tg, bea, "nudge")} == {OutboxStatus.CANCELLED}


async def test_someone_who_unblocks_gets_their_reminders_back(
    tg: Sandbox, clock: ManualClock
) -> None:
    ann = await registered(tg)
    bea = await registered(tg, "Bea")
    starts = tg.settings.sessions[0].starts_at
    ann.block()
    clock.set(starts - timedelta(days=7))
    await tg.dispatch()  # the 7-day reminder meets a 403: Ann is inactive, her rows cancelled
    await bea.expect("Reminder:")
    assert {r.status for r in await rows(tg, ann, "reminder")} >= {OutboxStatus.CANCELLED}
    ann.block(False)
    ann.send("/status")  # she writes again
    await ann.expect("Your status")
    clock.set(starts - timedelta(days=1))
    await tg.dispatch()
    assert "starts tomorrow" in (await ann.expect("Reminder:")).shown_text
