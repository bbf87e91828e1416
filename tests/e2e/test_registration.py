"""Signing up for the session in the chat: every step, waitlist, logins, calendar file."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from icalendar import Calendar

from bot.base.clock import ManualClock
from bot.base.settings import Settings
from bot.sandbox import Person, SimMessage
from bot.sandbox.harness import Sandbox
from bot.sandbox.limits import Limits
from store import logins, outbox, registrations
from store.registrations import RegistrationStatus


def with_session(settings: Settings, **changes: object) -> Settings:
    session = settings.sessions[0].model_copy(update=changes)
    return settings.model_copy(update={"sessions": [session]})


async def sign_up(
    person: Person,
    email: str = "ann@example.org",
    *,
    consent: bool = True,
    organisation: str = "Society for Organisational Learning NL",
    role: str = "Facilitator 🌱",
) -> None:
    """The whole flow, as a person taps and types it; ends at the confirmation."""
    person.send("/register")
    person.press("Done ✓", await person.expect("What name should we use"))
    await person.expect("Your e-mail address?")
    person.send(email)
    await person.expect("Which organisation")
    person.send(organisation)
    await person.expect("And your role there?")
    person.send(role)
    person.press("From daily practice", await person.expect("How do you know the subject"))
    consent_question = await person.expect("May we store your answers")
    person.press("Yes, I agree" if consent else "No", consent_question)
    if consent:
        person.press("✅ Confirm", await person.expect("Your registration"))


async def test_register_with_every_step_and_get_a_calendar_file(tg: Sandbox) -> None:
    ann = tg.person("Ann", last_name="Jansen")
    ann.send("/register")
    await ann.expect("Sign up for the free online knowledge-sharing session")
    name = await ann.expect("What name should we use")
    assert "Your answer so far: Ann Jansen" in name.shown_text
    ann.press("Done ✓", name)
    await ann.expect("Your e-mail address?")
    ann.send("ann at example")
    await ann.expect("does not look like an e-mail address")
    ann.send("ann@example.org")
    await ann.expect("Which organisation")
    ann.send("<SoL> & Partners")
    await ann.expect("And your role there?")
    ann.press("Skip ▶")
    ann.press("Both", await ann.expect("How do you know the subject"))
    ann.press("Yes, I agree", await ann.expect("May we store your answers"))
    review = await ann.expect("Your registration")
    assert "<SoL> & Partners" in review.shown_text
    ann.press("✅ Confirm", review)
    confirmed = await ann.expect("You're registered for")
    assert "Thursday 21 January 2027, 16:00–17:30 (Amsterdam time, UTC+1)" in confirmed.shown_text
    assert "https://meet.example.org/learning-culture" in confirmed.shown_text
    invitation = await ann.expect("Add it to your calendar")
    assert invitation.document is not None
    event = Calendar.from_ical(invitation.document.data).walk("VEVENT")[0]
    assert event.decoded("dtstart").astimezone(UTC) == datetime(2027, 1, 21, 15, 0, tzinfo=UTC)
    assert str(event["uid"]) == f"knowledge-sharing.{ann.user.id}@mooc-facilitator-bot"
    assert event.walk("VALARM")
    await ann.expect("The MOOC is here: https://mooc.example.org/")  # no pool: the URL alone
    [registration] = await registrations.live(tg.store, ann.user.id)
    assert registration.status is RegistrationStatus.REGISTERED
    assert registration.details.email == "ann@example.org"
    assert registration.details.organisation == "<SoL> & Partners"
    assert registration.details.role == ""
    assert registration.details.knows == "both"


async def test_refused_consent_registers_nobody_and_says_so_kindly(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    await sign_up(ann, consent=False)
    refusal = await ann.expect("without your consent we cannot register you")
    assert "completely fine" in refusal.shown_text
    again = await ann.expect("May we store your answers")
    assert "Yes, I agree" in again.button_labels
    assert await registrations.live(tg.store, ann.user.id) == []


async def test_login_code_is_handed_out_once_and_registering_twice_changes_nothing(
    tg: Sandbox, clock: ManualClock
) -> None:
    await logins.add_codes(tg.store, ["CODE-1", "CODE-2"], clock.now())
    ann = tg.person("Ann")
    await sign_up(ann)
    login = await ann.expect("Your free MOOC login")
    assert "CODE-1" in login.shown_text
    ann.send("/register")
    await ann.expect("You are already registered")
    ann.send("/status")
    status = await ann.expect("Your status")
    assert "registered for Knowledge-sharing session" in status.shown_text
    assert "MOOC login: CODE-1" in status.shown_text
    assert await logins.available(tg.store) == 1
    assert len(await registrations.for_session(tg.store, "knowledge-sharing")) == 1


async def test_empty_pool_alerts_the_organisers_once_and_logins_follow_after_import(
    settings: Settings, tmp_path: Path, clock: ManualClock
) -> None:
    organiser_id = 424242
    roles = settings.roles.model_copy(update={"organisers": [organiser_id]})
    async with Sandbox(
        settings.model_copy(update={"roles": roles}), tmp_path / "db.sqlite3", clock=clock
    ) as tg:
        olivia = tg.person("Olivia", user_id=organiser_id)
        olivia.send("/start")
        await olivia.expect("What would you like to do?")
        await logins.add_codes(tg.store, ["ONLY-ONE"], clock.now())
        people = [tg.person(name) for name in ("Ann", "Bea", "Cas")]
        for person in people:
            await sign_up(person, f"{person.user.first_name.lower()}@example.org")
        assert "ONLY-ONE" in (await people[0].expect("Your free MOOC login")).shown_text
        for person in people[1:]:
            await person.expect("Your personal MOOC login follows soon")
        clock.advance(timedelta(minutes=1))  # past any 429 retry-after from the burst above
        await tg.dispatch()
        alert = await olivia.expect("The pool of MOOC login codes is empty")
        assert "participant(s) are waiting" in alert.shown_text
        await tg.dispatch()
        assert sum("pool of MOOC login" in m.shown_text for m in olivia.bot_messages()) == 1
        await logins.add_codes(tg.store, ["NEW-1", "NEW-2"], clock.now())
        from bot.services.registration import hand_out_waiting_logins

        assert await hand_out_waiting_logins(tg.store, clock.now()) == 2
        clock.advance(timedelta(minutes=1))
        await tg.dispatch()
        assert "NEW-1" in (await people[1].expect("Your free MOOC login")).shown_text
        assert "NEW-2" in (await people[2].expect("Your free MOOC login")).shown_text


async def test_full_session_waitlists_and_a_cancellation_promotes(
    settings: Settings, tmp_path: Path, clock: ManualClock
) -> None:
    async with Sandbox(
        with_session(settings, capacity=1), tmp_path / "db.sqlite3", clock=clock
    ) as tg:
        ann, bea = tg.person("Ann"), tg.person("Bea")
        await sign_up(ann)
        await ann.expect("You're registered")
        await sign_up(bea, "bea@example.org")
        waitlisted = await bea.expect("You're on the waitlist")
        assert "number 1" in waitlisted.shown_text
        bea.send("/status")
        assert "waitlist (number 1)" in (await bea.expect("Your status")).shown_text
        ann.send("/status")
        status = await ann.expect("Your status")
        ann.press("❌ Cancel registration", status)
        ann.press("Yes, cancel", await ann.expect("Cancel your registration"))
        await ann.expect("Your registration is cancelled")
        clock.advance(timedelta(minutes=1))
        await tg.dispatch()
        await bea.expect("a place came free and you're in")
        await bea.expect("You're registered for")
        assert (await bea.expect("Add it to your calendar")).document is not None
        [promoted] = await registrations.live(tg.store, bea.user.id)
        assert promoted.status is RegistrationStatus.REGISTERED
        rows = await outbox.for_participant(tg.store, bea.user.id)
        assert [r.kind for r in rows if r.kind == "promoted"] == ["promoted"]


async def test_closed_session_cannot_be_registered_for(tg: Sandbox, clock: ManualClock) -> None:
    closes = tg.settings.sessions[0].registration_closes_at
    assert closes is not None
    clock.set(closes + timedelta(seconds=1))
    ann = tg.person("Ann")
    ann.send("/register")
    await ann.expect("Registration for Knowledge-sharing session")
    assert "is closed" in ann.bot_messages()[-1].shown_text


async def test_deep_link_starts_registration(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    ann.send("/start register")
    await ann.expect("Hello Ann!")
    await ann.expect("Sign up for the free online knowledge-sharing session")
    await ann.expect("What name should we use")


async def test_details_can_be_changed_later_through_the_review(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    await sign_up(ann)
    await ann.expect("You're registered")
    ann.send("/register")
    await ann.expect("You are already registered")
    details = await ann.expect("Your registration")
    ann.press("✏️ E-mail", details)
    await ann.expect("Your e-mail address?")
    ann.send("ann.new@example.org")  # an edit of a confirmed registration applies at once
    await ann.expect("Your details are updated")
    [registration] = await registrations.live(tg.store, ann.user.id)
    assert registration.details.email == "ann.new@example.org"
    assert sum("You're registered" in m.shown_text for m in ann.bot_messages()) == 1


async def test_fifty_people_registering_at_once_for_twenty_seats(
    settings: Settings, tmp_path: Path, clock: ManualClock
) -> None:
    unlimited = Limits(global_per_second=None, per_chat_per_second=None, group_per_minute=None)
    async with Sandbox(
        with_session(settings, capacity=20),
        tmp_path / "db.sqlite3",
        clock=clock,
        limits=unlimited,
        rate_limited=False,
    ) as tg:
        people = [tg.person(f"P{i:02d}") for i in range(50)]

        async def one(person: Person) -> SimMessage:
            await sign_up(person, f"{person.user.first_name.lower()}@example.org")
            return await person.expect("You're ", timeout=60)

        outcomes = await asyncio.gather(*(one(p) for p in people))
        registered = [m for m in outcomes if "You're registered" in m.shown_text]
        waitlisted = [m for m in outcomes if "waitlist" in m.shown_text]
        assert (len(registered), len(waitlisted)) == (20, 30)
        everyone = await registrations.for_session(tg.store, "knowledge-sharing")
        seated = [r for r in everyone if r.status is RegistrationStatus.REGISTERED]
        queue = [r for r in everyone if r.status is RegistrationStatus.WAITLISTED]
        assert len(seated) == 20
        assert [r.position for r in queue] == list(range(1, 31))
        assert [r.id for r in queue] == sorted(r.id for r in queue)
        assert max(r.id for r in seated) < min(r.id for r in queue)


async def test_register_again_after_cancelling_with_the_same_details(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    await sign_up(ann)
    await ann.expect("You're registered")
    ann.send("/cancel_registration")
    ann.press("Yes, cancel", await ann.expect("Cancel your registration"))
    await ann.expect("Your registration is cancelled")
    ann.send("/register")
    review = await ann.expect("Your registration")
    assert "ann@example.org" in review.shown_text
    ann.press("✅ Confirm", review)
    await ann.expect("You're registered")
    [again] = await registrations.live(tg.store, ann.user.id)
    assert again.status is RegistrationStatus.REGISTERED


async def test_a_retried_promotion_does_not_repeat_what_already_arrived(
    settings: Settings, tmp_path: Path, clock: ManualClock
) -> None:
    async with Sandbox(
        with_session(settings, capacity=1), tmp_path / "db.sqlite3", clock=clock
    ) as tg:
        ann, bea = tg.person("Ann"), tg.person("Bea")
        await sign_up(ann)
        await ann.expect("You're registered")
        await sign_up(bea, "bea@example.org")
        await bea.expect("waitlist")
        tg.server.faults.fail_methods = {"sendDocument"}  # the calendar file fails once…
        ann.send("/cancel_registration")
        ann.press("Yes, cancel", await ann.expect("Cancel your registration"))
        await ann.expect("Your registration is cancelled")
        clock.advance(timedelta(minutes=1))
        await tg.dispatch()
        await bea.expect("You're registered for")
        tg.server.faults.fail_methods = set()  # …and goes through on the retry
        clock.advance(timedelta(minutes=5))
        await tg.dispatch()
        assert (await bea.expect("Add it to your calendar")).document is not None
        texts = [m.shown_text for m in bea.bot_messages()]
        assert sum("a place came free" in t for t in texts) == 1
        assert sum("You're registered for" in t for t in texts) == 1
