"""Organisers: roles checked in one place, invites, and broadcasts from compose to report."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.base.clock import ManualClock
from bot.base.settings import Settings
from bot.sandbox import Person
from bot.sandbox.harness import Sandbox
from bot.sandbox.records import SimMessage
from store import audit, outbox
from store import broadcasts as broadcast_store
from store.broadcasts import BroadcastStatus

ORGANISER = 9100001


@pytest.fixture
async def tg(settings: Settings, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Sandbox]:
    roles = settings.roles.model_copy(update={"organisers": [ORGANISER]})
    configured = settings.model_copy(update={"roles": roles})
    async with Sandbox(configured, tmp_path / "org.sqlite3", clock=clock, poll_timeout=1) as box:
        yield box


async def organiser(tg: Sandbox) -> Person:
    olivia = tg.person("Olivia", user_id=ORGANISER)
    olivia.send("/start")
    await olivia.expect("What would you like to do?")
    return olivia


async def participants_started(tg: Sandbox, *names: str) -> list[Person]:
    people = []
    for name in names:
        person = tg.person(name)
        person.send("/start")
        await person.expect("What would you like to do?")
        people.append(person)
    return people


FORMATTED = "Hello all! Join the session — details here"
ENTITIES = [
    {"type": "bold", "offset": 0, "length": 10},
    {"type": "italic", "offset": 11, "length": 16},
    {"type": "text_link", "offset": 30, "length": 12, "url": "https://example.org/x"},
]


async def choose_audience(olivia: Person, prompt: SimMessage, audience: str) -> None:
    """Tap the audience (its label shows its count), opening its group's keyboard first."""

    def button() -> str | None:
        return next((b for b in prompt.button_labels if b.startswith(f"{audience} · ")), None)

    if button() is None:
        olivia.press("By session ▸" if audience.startswith("📅") else "By progress ▸", prompt)
        assert await olivia.expect("Who should receive it?") is prompt  # edited in place
    label = button()
    assert label is not None
    olivia.press(label, prompt)


async def compose(olivia: Person, audience: str = "Everyone", *, schedule: str = "") -> None:
    olivia.send("/broadcast")
    await olivia.expect("New broadcast")
    await choose_audience(olivia, await olivia.expect("Who should receive it?"), audience)
    await olivia.expect("Now send the message")
    olivia.send(FORMATTED, entities=ENTITIES)
    dutch = await olivia.expect("same message in Dutch")
    olivia.press("Skip — Dutch speakers get the English text", dutch)
    await olivia.expect("Add one link button?")
    olivia.send("Sign up | https://t.me/learning_culture_bot?start=register")
    when = await olivia.expect("Send it now, or schedule it?")
    if schedule:
        olivia.press("Schedule", when)
        await olivia.expect("When should it go out?")
        olivia.send(schedule)
    else:
        olivia.press("Send now", when)


async def test_non_organiser_is_refused_like_an_unknown_command_and_audited(tg: Sandbox) -> None:
    [ann] = await participants_started(tg, "Ann")
    ann.send("/broadcast")
    answer = await ann.expect("I don't know the command /broadcast")
    assert "/help" in answer.shown_text
    entries = await audit.recent(tg.store)
    assert [(e.actor_id, e.action) for e in entries] == [(ann.user.id, "refused:broadcast")]


async def test_organiser_menu_has_the_organiser_commands(tg: Sandbox) -> None:
    await organiser(tg)
    menus = await tg.world.wait_for(
        lambda: next((v for k, v in tg.world.commands.items() if str(ORGANISER) in k), None)
    )
    assert "broadcast" in [c["command"] for c in menus]
    default = next(v for k, v in tg.world.commands.items() if '"default"' in k and '""' in k)
    assert "broadcast" not in [c["command"] for c in default]


async def test_broadcast_composed_previewed_sent_with_formatting_and_reported(
    tg: Sandbox,
) -> None:
    olivia = await organiser(tg)
    ann, bea = await participants_started(tg, "Ann", "Bea")
    await compose(olivia)
    await olivia.expect("2 recipient(s)")
    await olivia.expect("Preview")
    preview = await olivia.expect("Hello all!")
    assert preview.entities[0]["type"] == "bold"
    assert preview.button_labels == ["Sign up"]
    review = await olivia.expect("Your broadcast")
    olivia.press("✅ Confirm", review)
    await olivia.expect("On its way")
    await tg.dispatch()
    progress = await olivia.expect("Broadcast #1")
    for person in (ann, bea):
        got = await person.expect("Hello all!")
        assert got.shown_text == FORMATTED
        assert [e["type"] for e in got.entities] == ["bold", "italic", "text_link"]
        assert got.entities[2]["url"] == "https://example.org/x"
        assert got.buttons[0][0]["url"] == "https://t.me/learning_culture_bot?start=register"
    await tg.world.wait_for(lambda: "sent 2" in progress.shown_text)
    report = await olivia.expect("finished")
    assert "sent 2 of 2" in report.shown_text
    entries = [e for e in await audit.recent(tg.store) if e.action == "broadcast.created"]
    assert entries[0].recipients == 2  # the organiser is staff, not a participant


async def test_scheduled_broadcast_can_be_cancelled_before_it_goes(
    tg: Sandbox, clock: ManualClock
) -> None:
    olivia = await organiser(tg)
    [ann] = await participants_started(tg, "Ann")
    await compose(olivia, "Everyone", schedule="tomorrow 09:00")
    olivia.press("✅ Confirm", await olivia.expect("Your broadcast"))
    await olivia.expect("Scheduled for")
    olivia.send("/broadcasts")
    listing = await olivia.expect("#1 · scheduled")
    olivia.press("✖ Cancel #1", listing)
    await olivia.expect("Broadcast #1 is cancelled")
    clock.advance(timedelta(days=2))
    await tg.dispatch()
    assert not any("Hello all" in m.shown_text for m in ann.bot_messages())
    [broadcast] = await broadcast_store.recent(tg.store)
    assert broadcast.status is BroadcastStatus.CANCELLED


async def test_pause_and_resume_a_broadcast(tg: Sandbox, clock: ManualClock) -> None:
    olivia = await organiser(tg)
    [ann] = await participants_started(tg, "Ann")
    await compose(olivia, "Everyone", schedule="tomorrow 09:00")
    olivia.press("✅ Confirm", await olivia.expect("Your broadcast"))
    await olivia.expect("Scheduled for")
    olivia.send("/broadcasts")
    olivia.press("⏸ Pause #1", await olivia.expect("#1 · scheduled"))
    await olivia.expect("is paused")
    clock.advance(timedelta(days=2))
    await tg.dispatch()
    assert not any("Hello all" in m.shown_text for m in ann.bot_messages())
    olivia.send("/broadcasts")
    olivia.press("▶ Resume #1", await olivia.expect("#1 · paused"))
    await olivia.expect("continues")
    await tg.dispatch()
    await ann.expect("Hello all!")
    assert sum("Hello all" in m.shown_text for m in ann.bot_messages()) == 1


async def test_unreadable_schedule_time_is_refused(tg: Sandbox) -> None:
    olivia = await organiser(tg)
    await compose(olivia, "Everyone", schedule="yesterday 09:00")
    await olivia.expect("Write the time as")


async def test_invite_link_works_once_and_expires(tg: Sandbox, clock: ManualClock) -> None:
    olivia = await organiser(tg)
    olivia.send("/invite facilitator")
    invite = await olivia.expect("one-time link")
    link = invite.shown_text.split("\n")[-1]
    token = link.split("start=")[1]
    [fay, gus] = await participants_started(tg, "Fay", "Gus")
    fay.send(f"/start {token}")
    await fay.expect("you are now a facilitator")
    gus.send(f"/start {token}")
    await gus.expect("not valid")
    olivia.send("/invite organiser")
    late = (await olivia.expect("one-time link")).shown_text.split("start=")[1]
    clock.advance(timedelta(hours=49))
    gus.send(f"/start {late}")
    await gus.expect("not valid")
    actions = [e.action for e in await audit.recent(tg.store)]
    assert actions.count("invite.used") == 1
    assert actions.count("refused:invite") == 2


async def test_broadcast_to_the_people_of_one_session(tg: Sandbox) -> None:
    from tests.e2e.test_registration import sign_up

    olivia = await organiser(tg)
    ann, bea = await participants_started(tg, "Ann", "Bea")
    await sign_up(ann)
    await ann.expect("You're registered")
    title = tg.settings.sessions[0].title
    await compose(olivia, f"📅 {title}")
    await olivia.expect("1 recipient(s)")
    olivia.press("✅ Confirm", await olivia.expect("Your broadcast"))
    await olivia.expect("On its way")
    await tg.dispatch()
    await ann.expect("Hello all!")
    assert not any("Hello all" in m.shown_text for m in bea.bot_messages())


async def test_resume_before_the_scheduled_time_keeps_the_schedule(
    tg: Sandbox, clock: ManualClock
) -> None:
    olivia = await organiser(tg)
    [ann] = await participants_started(tg, "Ann")
    await compose(olivia, "Everyone", schedule="tomorrow 09:00")
    olivia.press("✅ Confirm", await olivia.expect("Your broadcast"))
    await olivia.expect("Scheduled for")
    olivia.send("/broadcasts")
    olivia.press("⏸ Pause #1", await olivia.expect("#1 · scheduled"))
    await olivia.expect("is paused")
    olivia.send("/broadcasts")
    olivia.press("▶ Resume #1", await olivia.expect("#1 · paused"))
    await olivia.expect("continues")
    await tg.dispatch()
    assert not any("Hello all" in m.shown_text for m in ann.bot_messages())
    [broadcast] = await broadcast_store.recent(tg.store)
    assert broadcast.status is BroadcastStatus.SCHEDULED
    clock.set(broadcast.due_at)
    await tg.dispatch()
    await ann.expect("Hello all!")


async def test_audiences_by_progress_count_and_reach_the_right_people(tg: Sandbox) -> None:
    from tests.e2e.test_course import CARDS_PER_SECTION, read_section
    from tests.e2e.test_registration import sign_up

    olivia = await organiser(tg)
    ann, bea, cas = await participants_started(tg, "Ann", "Bea", "Cas")
    await sign_up(ann)  # registered, no reflection at all
    await ann.expect("You're registered")
    bea.send("/reflect")  # registered after answering question 1
    bea.press("Yes", await bea.expect("1/5"))
    await bea.expect("What do you recognise")
    bea.send("It rings true.")
    await bea.expect("Noted ✓")
    bea.press("Done ✓")
    await bea.expect("2/5")
    await sign_up(bea, "bea@example.org")
    await bea.expect("You're registered")
    cas.send("/course")  # read part 1, never registered
    await read_section(cas, await cas.expect("Part 1 of 4"), CARDS_PER_SECTION[0])

    counts = {
        "📝 Registered, no reflection yet": ["Ann"],
        "❓ Registered, 1 · Recognise the problem? open": ["Ann"],
        "❓ Registered, 4 · Suggestions for research open": ["Ann", "Bea"],
        "📖 Read Introduction, not registered": ["Cas"],
    }
    for label, names in counts.items():
        await compose(olivia, label)
        await olivia.expect(f"{len(names)} recipient(s)")
        olivia.press("✖ Cancel", await olivia.expect("Your broadcast"))
        await olivia.expect("Broadcast cancelled")
    await compose(olivia, "❓ Registered, 4 · Suggestions for research open")
    olivia.press("✅ Confirm", await olivia.expect("Your broadcast"))
    await olivia.expect("On its way")
    await tg.dispatch()
    await ann.expect("Hello all!")
    await bea.expect("Hello all!")
    assert not any("Hello all" in m.shown_text for m in cas.bot_messages())


TRY = "📨 Send to me first"


def copies(person: Person) -> int:
    return sum("Hello all" in m.shown_text for m in person.bot_messages())


async def test_send_to_me_first_shows_only_the_organiser_then_confirm_sends_once(
    tg: Sandbox,
) -> None:
    from tests.e2e.test_registration import sign_up

    olivia = await organiser(tg)
    ann, bea = await participants_started(tg, "Ann", "Bea")
    for person, email in ((ann, "ann@example.org"), (bea, "bea@example.org")):
        await sign_up(person, email)
        await person.expect("You're registered")
    await compose(olivia, "Registered")
    await olivia.expect("2 recipient(s)")
    review = await olivia.expect("Your broadcast")
    olivia.press(TRY, review)
    test = await olivia.expect("Hello all!")
    assert test.shown_text == FORMATTED
    assert [e["type"] for e in test.entities] == ["bold", "italic", "text_link"]
    assert test.entities[2]["url"] == "https://example.org/x"
    assert test.buttons == [
        [{"text": "Sign up", "url": "https://t.me/learning_culture_bot?start=register"}]
    ]
    await olivia.expect("↑ This is how it will look. Nothing has been sent to anyone yet.")
    again = await olivia.expect("Your broadcast")
    assert review.buttons == []
    assert {TRY, "✅ Confirm", "✖ Cancel"} <= set(again.button_labels)
    olivia.press(TRY, again)  # a double tap: the organiser gets it twice, nobody else
    olivia.press(TRY, again)
    for _ in range(2):
        await olivia.expect("Nothing has been sent to anyone yet")
        await olivia.expect("Your broadcast")
    await tg.dispatch()
    assert copies(ann) == copies(bea) == 0
    assert await broadcast_store.recent(tg.store) == []
    assert "broadcast" not in await outbox.counts_by_kind(tg.store)

    olivia.press("✅ Confirm")
    await olivia.expect("On its way")
    await tg.dispatch()
    for person in (ann, bea):
        got = await person.expect("Hello all!")
        assert got.shown_text == FORMATTED
        assert got.buttons == test.buttons
    assert "sent 2 of 2" in (await olivia.expect("finished")).shown_text
    assert copies(ann) == copies(bea) == 1

    # The other review of the double tap still has its buttons: now stale.
    leftover = next(m for m in olivia.bot_messages() if TRY in m.button_labels)
    shown = copies(olivia)
    olivia.press(TRY, leftover)
    await olivia.expect_toast("from an earlier step")
    await tg.world.wait_for(lambda: leftover.buttons == [])
    await tg.dispatch()
    assert copies(olivia) == shown
    assert copies(ann) == copies(bea) == 1
    [broadcast] = await broadcast_store.recent(tg.store)
    assert broadcast.total == 2
