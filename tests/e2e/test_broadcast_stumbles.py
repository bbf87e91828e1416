"""Issue 18, broadcasts: what organisers stumbled on, built as a Mailchimp user expects.

The review shows the message formatted, the audiences come grouped with their counts,
the progress message has its own pause/resume/cancel buttons, one broadcast carries a
version per language, and staff never count as participants.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.base.clock import ManualClock
from bot.base.settings import Settings
from bot.sandbox import Person
from bot.sandbox.harness import Sandbox
from flows.when import long_date_time
from store import audit, registrations
from store import broadcasts as broadcast_store
from store import roles as role_store
from store.broadcasts import BroadcastStatus
from store.registrations import RegistrationStatus
from store.roles import Role
from tests.e2e.test_organisers import choose_audience
from tests.e2e.test_registration import sign_up

ORGANISER = 9100001
FACILITATOR = 9100002
ENGLISH = "Hello all! Q&A <live> on Wednesday — bring your questions"
DUTCH = "Hallo allemaal! Vragen & antwoorden, live op woensdag"
BOLD_HELLO = [{"type": "bold", "offset": 0, "length": 10}]
BOLD_HALLO = [{"type": "bold", "offset": 0, "length": 15}]


@pytest.fixture
async def tg(settings: Settings, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Sandbox]:
    roles = settings.roles.model_copy(
        update={"organisers": [ORGANISER], "facilitators": [FACILITATOR]}
    )
    configured = settings.model_copy(update={"roles": roles})
    async with Sandbox(configured, tmp_path / "bc.sqlite3", clock=clock, poll_timeout=1) as box:
        yield box


async def started(tg: Sandbox, name: str, **details: object) -> Person:
    person = tg.person(name, **details)
    person.send("/start")
    await person.expect("")
    return person


def copies(person: Person, text: str) -> int:
    return sum(text in m.shown_text for m in person.bot_messages())


async def schedule(olivia: Person, *, dutch: bool) -> None:
    """Everything after the audience: the message(s), no button, tomorrow 09:00."""
    await olivia.expect("Now send the message")
    olivia.send(ENGLISH, entities=BOLD_HELLO)
    prompt = await olivia.expect("same message in Dutch")
    if dutch:
        olivia.send(DUTCH, entities=BOLD_HALLO)
    else:
        olivia.press("Skip — Dutch speakers get the English text", prompt)
    olivia.press("Skip ▶", await olivia.expect("Add one link button?"))
    olivia.press("Schedule", await olivia.expect("Send it now, or schedule it?"))
    await olivia.expect("When should it go out?")
    olivia.send("tomorrow 09:00")


async def test_grouped_counted_audiences_formatted_review_versions_and_no_staff(
    tg: Sandbox, clock: ManualClock
) -> None:
    olivia = await started(tg, "Olivia", user_id=ORGANISER)
    fay = await started(tg, "Fay", user_id=FACILITATOR)
    gus = await started(tg, "Gus")  # a facilitator by a role granted in the chat
    await role_store.grant(tg.store, gus.user.id, Role.FACILITATOR, ORGANISER, clock.now())
    ann = await started(tg, "Ann")
    bea = await started(tg, "Bea", language_code="nl")

    olivia.send("/broadcast")
    prompt = await olivia.expect("Who should receive it?")
    labels = prompt.button_labels
    assert {"Everyone · 2", "Registered · 0", "Dutch speakers · 1", "English speakers · 1"} <= set(
        labels
    )
    assert labels[-2:] == ["By session ▸", "By progress ▸"]
    assert not any(label.startswith("📅") for label in labels)
    olivia.press("By session ▸", prompt)
    assert await olivia.expect("Who should receive it?") is prompt
    title = tg.settings.sessions[0].title
    assert prompt.button_labels == [f"📅 {title} · 0", "◀ Back"]
    olivia.press("◀ Back", prompt)
    assert await olivia.expect("Who should receive it?") is prompt
    await choose_audience(olivia, prompt, "Everyone")
    await schedule(olivia, dutch=True)

    await olivia.expect("2 recipient(s)")
    [english, dutch] = [await olivia.expect(t) for t in ("Hello all!", "Hallo allemaal!")]
    assert english.shown_text == ENGLISH
    assert english.entities[0]["type"] == "bold"
    assert dutch.shown_text == DUTCH
    assert dutch.entities[0]["type"] == "bold"
    review = await olivia.expect("Your broadcast")
    assert ENGLISH in review.shown_text
    assert DUTCH in review.shown_text
    assert "<b>" not in review.shown_text
    assert "&amp;" not in review.shown_text
    bold = [review.shown_text[e["offset"] : e["offset"] + e["length"]] for e in review.entities]
    assert "Hello all!" in bold
    assert "Hallo allemaal!" in bold
    olivia.press("✅ Confirm", review)
    scheduled = await olivia.expect("Scheduled for")
    [broadcast] = await broadcast_store.recent(tg.store)
    when = long_date_time(broadcast.due_at, tg.settings.zone, "en")
    assert f"Scheduled for {when} to 2 recipient(s)" in scheduled.shown_text
    assert "(Amsterdam time, UTC+" in when
    assert when.split(", ")[1].startswith("09:00")
    assert broadcast.total == 2
    assert broadcast.versions == {
        "nl": "<b>Hallo allemaal!</b> Vragen &amp; antwoorden, live op woensdag"
    }

    olivia.send("/broadcasts")
    listing = await olivia.expect("#1 · scheduled")
    assert "Hello all! Q&A <live> on Wednesday…" in listing.shown_text
    assert "&amp;" not in listing.shown_text
    assert "<b>" not in listing.shown_text
    assert f"🗓 {when}" in listing.shown_text

    olivia_copies = copies(olivia, "Hello all!")
    clock.set(broadcast.due_at)
    await tg.dispatch()
    got = await ann.expect("Hello all!")
    assert got.shown_text == ENGLISH
    assert got.entities[0]["type"] == "bold"
    assert (await bea.expect("Hallo allemaal!")).shown_text == DUTCH
    assert "sent 2 of 2" in (await olivia.expect("finished")).shown_text
    assert copies(olivia, "Hello all!") == olivia_copies  # only her own previews
    assert copies(fay, "Hello all!") == copies(gus, "Hello all!") == 0
    assert copies(bea, "Hello all!") == 0


async def test_progress_message_pauses_resumes_and_cancels_with_its_own_buttons(
    tg: Sandbox, clock: ManualClock
) -> None:
    olivia = await started(tg, "Olivia", user_id=ORGANISER)
    ann = await started(tg, "Ann")
    bea = await started(tg, "Bea", language_code="nl")
    olivia.send("/broadcast")
    await choose_audience(olivia, await olivia.expect("Who should receive it?"), "Everyone")
    await schedule(olivia, dutch=False)
    olivia.press("✅ Confirm", await olivia.expect("Your broadcast"))
    await olivia.expect("Scheduled for")
    [broadcast] = await broadcast_store.recent(tg.store)
    clock.set(broadcast.due_at)
    await tg.app.bot_data.broadcasts.tick()  # what the repeating job does: it is due, going
    progress = await olivia.expect("Broadcast #1")
    assert "sending" in progress.shown_text
    assert progress.button_labels == ["⏸ Pause #1", "✖ Cancel #1"]

    olivia.press("⏸ Pause #1", progress)
    await olivia.expect("Broadcast #1 is paused")
    await tg.world.wait_for(lambda: progress.button_labels == ["▶ Resume #1", "✖ Cancel #1"])
    assert "paused" in progress.shown_text
    olivia.press("▶ Resume #1", progress)
    await olivia.expect("Broadcast #1 continues")
    await tg.dispatch()
    assert (await bea.expect("Hello all!")).shown_text == ENGLISH  # no Dutch version given
    await ann.expect("Hello all!")
    await olivia.expect("finished")
    await tg.world.wait_for(lambda: progress.buttons == [] and "done" in progress.shown_text)

    olivia.send("/broadcast")
    await choose_audience(olivia, await olivia.expect("Who should receive it?"), "Everyone")
    await schedule(olivia, dutch=False)
    olivia.press("✅ Confirm", await olivia.expect("Your broadcast"))
    await olivia.expect("Scheduled for")
    second = (await broadcast_store.recent(tg.store))[0]
    clock.set(second.due_at)
    await tg.app.bot_data.broadcasts.tick()
    progress = await olivia.expect("Broadcast #2")
    olivia.press("✖ Cancel #2", progress)
    await olivia.expect("Broadcast #2 is cancelled")
    await tg.world.wait_for(lambda: progress.buttons == [] and "cancelled" in progress.shown_text)
    await tg.dispatch()
    assert copies(ann, "Hello all!") == copies(bea, "Hello all!") == 1
    stored = await broadcast_store.get(tg.store, second.id)
    assert stored is not None
    assert stored.status is BroadcastStatus.CANCELLED
    done = [
        (e.actor_id, e.action)
        for e in await audit.recent(tg.store)
        if e.action in ("broadcast.paused", "broadcast.sending", "broadcast.cancelled")
    ]
    assert sorted(done) == sorted(
        [
            (ORGANISER, "broadcast.paused"),
            (ORGANISER, "broadcast.sending"),
            (ORGANISER, "broadcast.cancelled"),
        ]
    )


async def test_review_shows_the_resolved_day_and_time_not_what_was_typed(
    tg: Sandbox, clock: ManualClock
) -> None:
    olivia = await started(tg, "Olivia", user_id=ORGANISER)
    await started(tg, "Ann")
    olivia.send("/broadcast")
    await choose_audience(olivia, await olivia.expect("Who should receive it?"), "Everyone")
    await schedule(olivia, dutch=False)
    review = await olivia.expect("Your broadcast")
    zone = tg.settings.zone
    tomorrow = (clock.now().astimezone(zone) + timedelta(days=1)).date()
    nine = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 9, 0, tzinfo=zone)
    assert f"At\n{long_date_time(nine, zone, 'en')}" in review.shown_text
    assert "tomorrow 09:00" not in review.shown_text

    later = (clock.now().astimezone(zone) + timedelta(days=3)).date()
    olivia.press("✏️ At", review)
    await olivia.expect("When should it go out?")
    olivia.send(f"{later.isoformat()} 14:15")
    again = await olivia.expect("Your broadcast")
    moment = datetime(later.year, later.month, later.day, 14, 15, tzinfo=zone)
    when = long_date_time(moment, zone, "en")
    assert f"At\n{when}" in again.shown_text
    assert later.isoformat() not in again.shown_text
    olivia.press("✅ Confirm", again)
    assert f"Scheduled for {when}" in (await olivia.expect("Scheduled for")).shown_text
    [broadcast] = await broadcast_store.recent(tg.store)
    assert broadcast.due_at == moment
    assert broadcast.status is BroadcastStatus.SCHEDULED


async def test_registrations_marks_staff_who_hold_seats(tg: Sandbox, clock: ManualClock) -> None:
    olivia = await started(tg, "Olivia", user_id=ORGANISER)
    fay = await started(tg, "Fay", user_id=FACILITATOR)
    gus = await started(tg, "Gus")  # a facilitator by a role granted in the chat
    await role_store.grant(tg.store, gus.user.id, Role.FACILITATOR, ORGANISER, clock.now())
    ann = await started(tg, "Ann")
    for person in (olivia, fay, gus, ann):
        await sign_up(person, f"{person.user.first_name.lower()}@example.org")
        await person.expect("You're registered")
    olivia.send("/registrations")
    listing = (await olivia.expect("Registered: 4 of")).shown_text
    assert "1. Olivia — olivia@example.org · staff" in listing
    assert "2. Fay — fay@example.org · staff" in listing
    assert "3. Gus — gus@example.org · staff" in listing
    assert "4. Ann — ann@example.org\n" in f"{listing}\n"
    assert "ann@example.org · staff" not in listing
    seats = await registrations.live(tg.store, ann.user.id)
    assert [r.status for r in seats] == [RegistrationStatus.REGISTERED]
    for person in (olivia, fay, gus):
        held = await registrations.live(tg.store, person.user.id)
        assert [r.status for r in held] == [RegistrationStatus.REGISTERED]  # a seat each
