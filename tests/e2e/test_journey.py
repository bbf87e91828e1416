"""The whole journey, as a real session would use it, in one story.

Ann (English) and Bram (Dutch) go all the way: /start, a part of the course, the
five reflections, registration with a MOOC login and a calendar file, reminders
at their times, a broadcast. Cas answers the first question, registers, then
blocks the bot. Olivia (organiser) broadcasts; Fenna (facilitator) exports — and
the export holds exactly what the three typed.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from icalendar import Calendar
from openpyxl import load_workbook

from bot.base.clock import ManualClock
from bot.base.settings import Settings
from bot.sandbox import Person
from bot.sandbox.harness import Sandbox
from store import logins, participants, registrations
from store.registrations import RegistrationStatus
from tests.e2e.conftest import Database, on_both_backends
from tests.e2e.test_course import CARDS_PER_SECTION, read_section
from tests.e2e.test_organisers import FORMATTED, compose

ORGANISER, FACILITATOR = 9300001, 9300002


@dataclass(frozen=True)
class Ui:
    """What a person taps and waits for, in their language."""

    menu: str
    part_one: str
    next: str
    yes: str
    partly: str
    mixed: str
    noted: str
    done: str
    confirm: str
    review: str
    thanks: str
    name: str
    email: str
    organisation: str
    role: str
    knows: str
    both: str
    consent: str
    agree: str
    registration: str
    registered: str
    calendar: str
    login: str
    reminder: str


EN = Ui(
    "What would you like to do?", "Part 1 of 4", "Next ▶", "Yes", "Partly", "🤔 Mixed", "Noted ✓",
    "Done ✓", "✅ Confirm", "Your answers",
    "Thank you! Your reflections are saved", "What name should we use", "Your e-mail address?",
    "Which organisation", "And your role there?", "How do you know the subject", "Both",
    "May we store your answers", "Yes, I agree", "Your registration", "You're registered for",
    "Add it to your calendar", "Your free MOOC login", "Reminder:",
)  # fmt: skip
NL = Ui(
    "Waar wil je mee verder?", "Deel 1 van 4", "Verder ▶", "Ja", "Deels", "🤔 Gemengd",
    "Genoteerd ✓",
    "Klaar ✓", "✅ Bevestigen", "Je antwoorden",
    "Dank je wel! Je reflecties zijn bewaard", "Welke naam", "Je e-mailadres?",
    "Bij welke organisatie", "En wat is je rol daar?", "Hoe ken je het onderwerp", "Allebei",
    "Mogen we je antwoorden", "Ja, akkoord", "Je aanmelding", "Je bent aangemeld voor",
    "Zet het in je agenda", "Je gratis MOOC-login", "Herinnering:",
)  # fmt: skip

ANN = {
    "q1why": "Yes — in our team we only learn when something breaks. <i>Not</i> italic.",
    "q2why": "Because the 6 % best performers invest in it; we don't (yet) 📈",
    "q3why": "Care first, then facilitation; inspiration follows.\nA second line.",
    "q4": "=1+1 interviews in the coffee corner",
    "q5": "Shorter videos, please! " + "Long thought. " * 205,  # 2,894 of at most 3,000
}
BRAM = {
    "q1why": "Ja, herkenbaar: leren gebeurt vooral tussen de bedrijven door.",
    "q2why": "Omdat leervermogen het verschil maakt — zeker in de zorg.",
    "q3why": "Mooi idee; zorg & facilitatie zijn bij ons vaak vergeten. مرحبا",
    "q4": "+31 interviews tijdens de lunch",
    "q5": "@makers: meer Nederlandse voorbeelden 🙏",
}
CAS_Q1 = "I recognise it, but I must go now."


@pytest.fixture
async def tg(settings: Settings, database: Database, clock: ManualClock) -> AsyncIterator[Sandbox]:
    roles = settings.roles.model_copy(
        update={"organisers": [ORGANISER], "facilitators": [FACILITATOR]}
    )
    configured = settings.model_copy(update={"roles": roles})
    async with Sandbox(configured, database("j.sqlite3"), clock=clock, poll_timeout=1) as box:
        yield box


async def words(person: Person, ui: Ui, text: str) -> None:
    person.send(text)
    await person.expect(ui.noted)
    person.press(ui.done)


async def reflect(person: Person, ui: Ui, typed: dict[str, str]) -> None:
    person.send("/reflect")
    person.press(ui.yes, await person.expect("1/5"))
    await words(person, ui, typed["q1why"])
    person.press(ui.partly, await person.expect("2/5"))
    await words(person, ui, typed["q2why"])
    person.press(ui.mixed, await person.expect("3/5"))
    await words(person, ui, typed["q3why"])
    await person.expect("4/5")
    await words(person, ui, typed["q4"])
    await person.expect("5/5")
    await words(person, ui, typed["q5"])
    person.press(ui.confirm, await person.expect(ui.review))
    await person.expect(ui.thanks)


async def register(person: Person, ui: Ui, email: str) -> str:
    """Signs up; returns the MOOC login code handed out."""
    person.send("/register")
    person.press(ui.done, await person.expect(ui.name))
    await person.expect(ui.email)
    person.send(email)
    await person.expect(ui.organisation)
    person.send("Learning & Co")
    await person.expect(ui.role)
    person.send("Team lead")
    person.press(ui.both, await person.expect(ui.knows))
    person.press(ui.agree, await person.expect(ui.consent))
    person.press(ui.confirm, await person.expect(ui.registration))
    await person.expect(ui.registered)
    invitation = await person.expect(ui.calendar)
    assert invitation.document is not None
    event = Calendar.from_ical(invitation.document.data).walk("VEVENT")[0]
    assert str(event["uid"]) == f"knowledge-sharing.{person.user.id}@mooc-facilitator-bot"
    login = await person.expect(ui.login)
    return login.shown_text.split("Code: ")[1].split()[0]


@on_both_backends
async def test_three_participants_an_organiser_and_a_facilitator_from_start_to_export(
    tg: Sandbox, clock: ManualClock
) -> None:
    await logins.add_codes(tg.store, ["MOOC-A", "MOOC-B", "MOOC-C"], clock.now())
    ann, cas = tg.person("Ann"), tg.person("Cas")
    bram = tg.person("Bram", language_code="nl")
    for person, ui in ((ann, EN), (bram, NL)):
        person.send("/start")
        await person.expect(ui.menu)  # in their language
        person.send("/course")
        first = await person.expect(ui.part_one)
        await read_section(person, first, CARDS_PER_SECTION[0], ui.next)
        await reflect(person, ui, ANN if person is ann else BRAM)
    codes = {await register(ann, EN, "ann@example.org"), await register(bram, NL, "b@x.nl")}

    cas.send("/start")
    await cas.expect(EN.menu)
    cas.send("/reflect")
    cas.press(EN.yes, await cas.expect("1/5"))
    await words(cas, EN, CAS_Q1)
    await cas.expect("2/5")
    codes.add(await register(cas, EN, "cas@example.org"))
    assert codes == {"MOOC-A", "MOOC-B", "MOOC-C"}  # one each, none twice
    cas.block()  # half-way: he leaves

    # Reminders at their times, in each person's language; Cas gets nothing.
    starts = tg.settings.sessions[0].starts_at
    for before, soon_en in ((timedelta(days=7), "in 7 days"), (timedelta(days=1), "tomorrow")):
        clock.set(starts - before)
        await tg.dispatch()
        assert soon_en in (await ann.expect(EN.reminder)).shown_text
        await bram.expect(NL.reminder)

    # A broadcast to everyone reaches the two who stayed.
    olivia = tg.person("Olivia", user_id=ORGANISER)
    await compose(olivia)
    olivia.press("✅ Confirm", await olivia.expect("Your broadcast"))
    await olivia.expect("On its way")
    await tg.dispatch()
    for person in (ann, bram):
        assert (await person.expect("Hello all!")).shown_text == FORMATTED
    await olivia.expect("finished")

    clock.set(starts - timedelta(hours=1))
    await tg.dispatch()
    last = await ann.expect(EN.reminder)
    assert "https://meet.example.org/learning-culture" in last.shown_text
    await bram.expect(NL.reminder)
    assert not [m for m in cas.bot_messages() if "Reminder" in m.shown_text]
    assert not [m for m in cas.bot_messages() if "Hello all!" in m.shown_text]
    cas_row = await participants.get(tg.store, cas.user.id)
    assert cas_row is not None
    assert cas_row.status == "blocked"
    [seat] = await registrations.live(tg.store, cas.user.id)
    assert seat.status is RegistrationStatus.REGISTERED  # blocking is not cancelling

    # The facilitator's export holds exactly what everyone typed.
    fenna = tg.person("Fenna", user_id=FACILITATOR)
    fenna.send("/export")
    xlsx = await fenna.expect("answers.xlsx")
    assert xlsx.document is not None
    book = load_workbook(io.BytesIO(xlsx.document.data))
    rows = {r[0]: r for r in book["Participants"].iter_rows(min_row=2, values_only=True)}
    header = [c.value for c in book["Participants"][1]]
    for name, typed in (("Ann", ANN), ("Bram", BRAM)):
        row = dict(zip(header, rows[name], strict=True))
        texts = [v for v in row.values() if isinstance(v, str)]
        for value in typed.values():
            assert value in texts, (name, value[:40])
    assert CAS_Q1 in rows["Cas"]
    assert rows["Bram"][1] == "nl"
    seats = list(book["Registrations"].iter_rows(min_row=2, values_only=True))
    assert sorted(r[0] for r in seats) == ["Ann", "Bram", "Cas"]
