"""Seats before the form, dates as people read them, session titles in their language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar

from bot.base.settings import SessionText, Settings
from bot.sandbox import Person
from bot.sandbox.harness import Sandbox
from store import registrations
from store.registrations import RegistrationStatus


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Two sessions: the shipped one with a single seat, and a roomier one a week later."""
    small = settings.sessions[0].model_copy(update={"capacity": 1})
    later = small.model_copy(
        update={
            "id": "second",
            "title": "Second session",
            "translations": {"nl": SessionText(title="Tweede sessie")},
            "starts_at": small.starts_at + timedelta(days=7),
            "registration_closes_at": None,
            "capacity": 5,
        }
    )
    return settings.model_copy(update={"sessions": [small, later]})


async def fill_in(person: Person) -> None:
    """The form after the session is chosen, up to and including ✅ Confirm."""
    person.press("Done ✓", await person.expect("What name should we use"))
    await person.expect("Your e-mail address?")
    person.send(f"{person.user.first_name.lower()}@example.org")
    await person.expect("Which organisation")
    person.press("Skip ▶")
    await person.expect("And your role there?")
    person.press("Skip ▶")
    person.press("Both", await person.expect("How do you know the subject"))
    person.press("Yes, I agree", await person.expect("May we store your answers"))
    person.press("✅ Confirm", await person.expect("Your registration"))


async def test_full_session_offers_room_elsewhere_and_says_waitlist_plainly(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    ann.send("/register")
    picker = await ann.expect("Which session would you like to join?")
    assert "💺 1 place left" in picker.shown_text
    assert "💺 5 places left" in picker.shown_text
    assert "Thursday 21 January 2027, 16:00–17:30 (Amsterdam time, UTC+1)" in picker.shown_text
    assert "Second session · Thu 28 Jan, 16:00" in picker.button_labels
    first = next(label for label in picker.button_labels if label.startswith("Knowledge"))
    assert first.endswith(" · Thu 21 Jan, 16:00")
    ann.press(first, picker)
    await fill_in(ann)
    registered = await ann.expect("You're registered for Knowledge-sharing session")
    assert registered.document is None

    bea = tg.person("Bea")
    bea.send("/register")
    picker = await bea.expect("Which session would you like to join?")
    assert "💺 full: waitlist, you would be number 1" in picker.shown_text
    bea.press(first, picker)
    offer = await bea.expect("is full — on its waitlist you would be number 1")
    assert offer.button_labels == [
        "Second session · Thu 28 Jan, 16:00",
        "⏳ Join the waitlist anyway",
    ]
    bea.press("⏳ Join the waitlist anyway", offer)
    await bea.expect("you'll go on the waitlist as number 1")
    await fill_in(bea)
    await bea.expect("You're on the waitlist as number 1")
    [waiting] = await registrations.live(tg.store, bea.user.id)
    assert (waiting.session_id, waiting.status) == (
        "knowledge-sharing",
        RegistrationStatus.WAITLISTED,
    )
    # Neither was told "Registration received" on top of what really happened.
    for person in (ann, bea):
        assert not any("Registration received" in m.shown_text for m in person.bot_messages())

    cas = tg.person("Cas", language_code="nl")
    cas.send("/register")
    picker = await cas.expect("Aan welke sessie wil je meedoen?")
    assert "Kennisdelingssessie: The Magic of a Learning Culture" in picker.shown_text
    assert "donderdag 21 januari 2027, 16:00–17:30 (tijd in Amsterdam, UTC+1)" in picker.shown_text
    assert "vol: wachtlijst, je zou nummer 2 zijn" in picker.shown_text
    assert "Tweede sessie · do 28 jan, 16:00" in picker.button_labels
    cas.press("Tweede sessie · do 28 jan, 16:00", picker)
    await cas.expect("Welke naam mogen we gebruiken")
    cas.press("Klaar ✓")
    await cas.expect("Je e-mailadres?")
    cas.send("cas@example.org")
    await cas.expect("Bij welke organisatie")
    cas.press("Overslaan ▶")
    await cas.expect("En wat is je rol daar?")
    cas.press("Overslaan ▶")
    cas.press("Allebei", await cas.expect("Hoe ken je het onderwerp"))
    cas.press("Ja, akkoord", await cas.expect("Mogen we je antwoorden"))
    cas.press("✅ Bevestigen", await cas.expect("Je aanmelding"))
    confirmed = await cas.expect("Je bent aangemeld voor Tweede sessie")
    assert "donderdag 28 januari 2027, 16:00–17:30 (tijd in Amsterdam, UTC+1)" in (
        confirmed.shown_text
    )
    calendar = await cas.expect("Zet het in je agenda")
    assert calendar.document is not None
    event = next(iter(Calendar.from_ical(calendar.document.data).walk("VEVENT")))
    assert str(event["SUMMARY"]) == "Tweede sessie"
