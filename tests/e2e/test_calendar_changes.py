"""Calendars follow changes: a cancelled place and a moved session each send an .ics
that changes the event already in the calendar (same UID, higher SEQUENCE), and every
reminder carries "Can't make it"."""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path

from icalendar import Calendar

from bot.base.clock import ManualClock
from bot.base.settings import Settings
from bot.sandbox import Person, SimMessage
from bot.sandbox.harness import Sandbox
from store import outbox, registrations
from store.outbox import OutboxStatus
from store.registrations import RegistrationStatus
from tests.e2e.test_registration import sign_up, with_session


def calendar_of(message: SimMessage) -> tuple[str, dict[str, object]]:
    """The method and the one event of an .ics a person received."""
    assert message.document is not None, message.shown_text
    calendar = Calendar.from_ical(message.document.data)
    event = calendar.walk("VEVENT")[0]
    return str(calendar["method"]), {
        "uid": str(event["uid"]),
        "sequence": int(event["sequence"]),
        "status": str(event.get("status", "")),
        "start": event.decoded("dtstart").astimezone(UTC),
    }


async def invited(person: Person, email: str) -> dict[str, object]:
    await sign_up(person, email)
    await person.expect("You're registered")
    method, event = calendar_of(await person.expect("Add it to your calendar"))
    assert method == "PUBLISH"
    return event


async def test_cant_make_it_on_a_reminder_cancels_the_place_and_the_calendar_event(
    settings: Settings, tmp_path: Path, clock: ManualClock
) -> None:
    session = settings.sessions[0]
    async with Sandbox(
        with_session(settings, capacity=1), tmp_path / "db.sqlite3", clock=clock
    ) as tg:
        ann, bea = tg.person("Ann"), tg.person("Bea")
        invitation = await invited(ann, "ann@example.org")
        await sign_up(bea, "bea@example.org")
        await bea.expect("You're on the waitlist")
        clock.set(session.starts_at - timedelta(days=7))
        await tg.dispatch()
        reminder = await ann.expect("Reminder:")
        assert reminder.button_labels == ["🙅 Can't make it"]
        ann.press("🙅 Can't make it", reminder)
        confirm = await ann.expect("Cancel your registration")
        assert confirm.button_labels == ["Yes, cancel", "No, keep it"]
        ann.press("Yes, cancel", confirm)
        await ann.expect("Your registration is cancelled")
        method, cancelled = calendar_of(await ann.expect("take the session out of your calendar"))
        assert method == "CANCEL"
        assert cancelled["status"] == "CANCELLED"
        assert cancelled["uid"] == invitation["uid"]
        assert int(str(cancelled["sequence"])) > int(str(invitation["sequence"]))
        assert await registrations.live(tg.store, ann.user.id) == []
        ann_rows = await outbox.for_participant(tg.store, ann.user.id)
        assert {r.status for r in ann_rows if r.kind == "reminder"} <= {
            OutboxStatus.SENT,
            OutboxStatus.CANCELLED,
        }
        await tg.dispatch()
        await bea.expect("a place came free and you're in")
        (seated,) = await registrations.live(tg.store, bea.user.id)
        assert seated.status is RegistrationStatus.REGISTERED
        # A double tap and the old reminder's button change nothing.
        ann.press_data(confirm, f"reg:x:{session.id}")
        await ann.expect_toast("Nothing to cancel")
        ann.press_data(reminder, f"reg:c:{session.id}")
        # Waited for, not settled: the press may not have been fetched yet when the
        # inbox is drained (the sandbox's poll takes it a moment later).
        await tg.world.wait_for(
            lambda: sum("Nothing to cancel" in t for t in ann.user.toasts) == 2, 30
        )
        await tg.settle()
        assert sum(m.document is not None for m in ann.bot_messages()) == 2
        assert [r.status for r in await registrations.live(tg.store, bea.user.id)] == [
            RegistrationStatus.REGISTERED
        ]


async def test_cancel_registration_sends_the_cancelling_file_and_a_new_sign_up_rises_above_it(
    tg: Sandbox,
) -> None:
    ann = tg.person("Ann")
    invitation = await invited(ann, "ann@example.org")
    ann.send("/cancel_registration")
    ann.press("Yes, cancel", await ann.expect("Cancel your registration"))
    method, cancelled = calendar_of(await ann.expect("take the session out of your calendar"))
    assert (method, cancelled["uid"]) == ("CANCEL", invitation["uid"])
    assert int(str(cancelled["sequence"])) > int(str(invitation["sequence"]))
    ann.send("/register")  # same minute on the test's clock: the count still rises
    ann.press("✅ Confirm", await ann.expect("Your registration"))
    method, again = calendar_of(await ann.expect("Add it to your calendar"))
    assert again["uid"] == invitation["uid"]
    assert int(str(again["sequence"])) > int(str(cancelled["sequence"]))


async def test_moved_session_sends_an_update_with_the_same_uid_and_a_higher_sequence(
    settings: Settings, tmp_path: Path, clock: ManualClock
) -> None:
    one_seat = with_session(settings, capacity=1)
    async with Sandbox(one_seat, tmp_path / "db.sqlite3", clock=clock) as tg:
        ann, bea = tg.person("Ann"), tg.person("Bea")
        invitation = await invited(ann, "ann@example.org")
        await sign_up(bea, "bea@example.org")
        await bea.expect("You're on the waitlist")
        await tg.stop_bot()
        new_start = settings.sessions[0].starts_at + timedelta(days=2)
        tg.use_settings(with_session(settings, capacity=1, starts_at=new_start))
        await tg.start_bot()
        await tg.dispatch()
        await ann.expect("has moved")
        method, moved = calendar_of(await ann.expect("The new time for your calendar"))
        assert method == "REQUEST"
        assert moved["uid"] == invitation["uid"]
        assert moved["start"] == new_start.astimezone(UTC)
        assert moved["status"] == "CONFIRMED"
        assert int(str(moved["sequence"])) > int(str(invitation["sequence"]))
        await bea.expect("has moved")  # told, but no event: she holds no seat yet
        assert not any(m.document for m in bea.bot_messages())
