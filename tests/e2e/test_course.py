"""Reading the course in the chat: cards, Next, sections, restarts, languages, drips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.base.clock import ManualClock
from bot.base.settings import Settings
from bot.sandbox import Person, SimMessage
from bot.sandbox.harness import Sandbox
from store import outbox, participants
from store.outbox import OutboxStatus

SECTION_STARTS = ["Part 1 of 4", "Part 2 of 4", "Part 3 of 4", "Part 4 of 4"]
CARDS_PER_SECTION = [4, 4, 3, 4]


async def read_section(
    person: Person, first: SimMessage, cards: int, next_label: str = "Next ▶"
) -> SimMessage:
    """Press Next through a section; return its last card."""
    card = first
    for _ in range(cards - 1):
        person.press(next_label, card)
        await person.expect_edit(card)  # the old card loses its button
        assert card.button_labels == []
        card = await person.expect()
    return card


async def test_participant_reads_all_four_sections_by_pressing_next(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    ann.send("/course")
    card = await ann.expect(SECTION_STARTS[0])
    for index, cards in enumerate(CARDS_PER_SECTION):
        last = await read_section(ann, card, cards)
        if index < 3:
            assert last.button_labels[0] == "💬 Reflect on this now"
            assert last.button_labels[2] == "Continue tomorrow"
            ann.press(last.button_labels[1], last)
            card = await ann.expect(SECTION_STARTS[index + 1])
    assert "do you have further suggestions" in last.shown_text
    await ann.expect("You have read the whole course")
    ann.send("/sections")
    listing = await ann.expect("4 of 4 parts read")
    assert listing.button_labels == ["✓ 1. Introduction", "✓ 2. Why?", "✓ 3. How?", "✓ 4. What?"]


async def test_course_resumes_where_left_after_a_restart(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    ann.send("/course")
    first = await ann.expect(SECTION_STARTS[0])
    ann.press("Next ▶", first)
    second = await ann.expect("spoil it")
    await tg.stop_bot()
    await tg.start_bot()  # a new Application on the same database
    ann.send("/course")
    again = await ann.expect()
    assert again.shown_text == second.shown_text
    ann.press("Next ▶", again)
    await ann.expect("names the problem")


async def test_double_tap_on_next_moves_one_card_only(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    ann.send("/course")
    first = await ann.expect(SECTION_STARTS[0])
    ann.press("Next ▶", first)
    ann.press_data(first, "c:n:introduction:0")  # the second tap of a double tap
    await ann.expect("spoil it")
    await ann.expect_toast("already moved on")
    assert sum("spoil it" in m.shown_text for m in ann.bot_messages()) == 1, ann.transcript()
    ann.send("/course")
    assert "spoil it" in (await ann.expect()).shown_text


async def test_next_on_an_old_card_never_skips_or_repeats(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    ann.send("/course")
    first = await ann.expect(SECTION_STARTS[0])
    ann.press("Next ▶", first)
    second = await ann.expect("spoil it")
    ann.press_data(first, "c:n:introduction:0")  # an old card's button, e.g. another device
    await ann.expect_toast("already moved on")
    ann.press("Next ▶", second)
    await ann.expect("names the problem")
    texts = [m.shown_text for m in ann.bot_messages()]
    assert sum("names the problem" in t for t in texts) == 1


async def test_forged_course_button_changes_nothing(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    ann.send("/course")
    first = await ann.expect(SECTION_STARTS[0])
    ann.press_data(first, "c:n:what:2")
    ann.press_data(first, "c:zz")
    await ann.expect_toast("already moved on")
    ann.send("/course")
    assert SECTION_STARTS[0] in (await ann.expect()).shown_text


async def test_sections_list_jumps_to_any_part(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    ann.send("/sections")
    listing = await ann.expect("0 of 4 parts read")
    ann.press("○ 3. How?", listing)
    card = await ann.expect(SECTION_STARTS[2])
    await read_section(ann, card, 3)
    ann.send("/sections")
    assert "✓ 3. How?" in (await ann.expect("1 of 4 parts read")).button_labels


async def test_dutch_participant_reads_dutch_cards(tg: Sandbox) -> None:
    bram = tg.person("Bram", language_code="nl")
    bram.send("/course")
    card = await bram.expect("Deel 1 van 4")
    assert card.button_labels == ["Verder ▶"]
    bram.press("Verder ▶", card)
    await bram.expect("vijf metaforen")


async def test_language_can_be_changed(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    ann.send("/language")
    choice = await ann.expect("Which language")
    ann.press("Nederlands", choice)
    await ann.expect("Vanaf nu schrijf ik in het Nederlands")
    ann.send("/course")
    await ann.expect("Deel 1 van 4")
    stored = await participants.get(tg.store, ann.user.id)
    assert stored is not None
    assert stored.language == "nl"


async def test_drip_offers_the_next_part_after_a_day(tg: Sandbox, clock: ManualClock) -> None:
    ann = tg.person("Ann")
    ann.send("/course")
    first = await ann.expect(SECTION_STARTS[0])
    last = await read_section(ann, first, 4)
    ann.press("Continue tomorrow", last)
    await ann.expect("I'll offer you the next part tomorrow")
    clock.advance(timedelta(hours=23))
    assert await tg.dispatch() == 0
    clock.advance(timedelta(hours=2))
    assert await tg.dispatch() == 1
    offer = await ann.expect("Ready for the next part?")
    assert "Why?" in offer.shown_text
    ann.press("Continue ▶", offer)
    await ann.expect(SECTION_STARTS[1])
    clock.advance(timedelta(days=3))
    await tg.dispatch()
    assert sum("Ready for the next part" in m.shown_text for m in ann.bot_messages()) == 1


async def test_drip_waits_for_the_end_of_quiet_hours(tg: Sandbox, clock: ManualClock) -> None:
    clock.set(datetime(2026, 12, 1, 20, 30, tzinfo=UTC))  # 21:30 in Amsterdam
    ann = tg.person("Ann")
    ann.send("/course")
    await ann.expect(SECTION_STARTS[0])
    clock.advance(timedelta(days=1))  # 21:30 again the next evening
    assert await tg.dispatch() == 0
    clock.set(datetime(2026, 12, 3, 6, 59, tzinfo=UTC))  # 07:59 in Amsterdam
    assert await tg.dispatch() == 0
    clock.set(datetime(2026, 12, 3, 7, 0, tzinfo=UTC))  # 08:00: the quiet hours end
    assert await tg.dispatch() == 1
    await ann.expect("You stopped halfway through")


async def test_paused_participant_gets_no_drips_until_resumed(
    tg: Sandbox, clock: ManualClock
) -> None:
    ann = tg.person("Ann")
    ann.send("/course")
    await ann.expect(SECTION_STARTS[0])
    ann.send("/pause")
    await ann.expect("no more reminders")
    clock.advance(timedelta(days=2))
    assert await tg.dispatch() == 0
    ann.send("/resume")
    await ann.expect("back on")
    clock.advance(timedelta(days=1, hours=1))
    assert await tg.dispatch() == 1


async def test_blocked_participant_is_marked_inactive_and_gets_nothing_more(
    tg: Sandbox, clock: ManualClock
) -> None:
    ann = tg.person("Ann")
    ann.send("/course")
    await ann.expect(SECTION_STARTS[0])
    ann.block()
    clock.advance(timedelta(days=1, hours=1))
    assert await tg.dispatch() == 0
    stored = await participants.get(tg.store, ann.user.id)
    assert stored is not None
    assert stored.status is participants.ParticipantStatus.BLOCKED
    rows = await outbox.for_participant(tg.store, ann.user.id)
    assert [r.status for r in rows] == [OutboxStatus.FAILED]
    clock.advance(timedelta(days=5))
    assert await tg.dispatch() == 0
    assert not any("Ready for" in m.shown_text for m in ann.bot_messages())


async def test_drip_survives_a_restart_and_is_sent_once(tg: Sandbox, clock: ManualClock) -> None:
    ann = tg.person("Ann")
    ann.send("/course")
    await ann.expect(SECTION_STARTS[0])
    await tg.stop_bot()
    clock.advance(timedelta(days=1, hours=1))
    await tg.start_bot()  # the dispatcher wakes up and sends what fell due meanwhile
    await ann.expect("You stopped halfway through")
    assert await tg.dispatch() == 0
    assert sum("You stopped" in m.shown_text for m in ann.bot_messages()) == 1


async def test_nudges_stop_at_the_configured_maximum(
    settings: Settings, tmp_path: Path, clock: ManualClock
) -> None:
    course = settings.course.model_copy(update={"max_nudges": 1})
    limited = settings.model_copy(update={"course": course})
    async with Sandbox(limited, tmp_path / "max.sqlite3", clock=clock, poll_timeout=1) as box:
        ann = box.person("Ann")
        ann.send("/course")
        first = await ann.expect(SECTION_STARTS[0])
        clock.advance(timedelta(days=1, hours=1))
        await box.dispatch()
        offer = await ann.expect("You stopped halfway through")
        ann.press("Continue ▶", offer)
        again = await ann.expect(SECTION_STARTS[0])
        ann.press("Next ▶", again)
        await ann.expect("spoil it")
        clock.advance(timedelta(days=2))
        assert await box.dispatch() == 0
        assert first.button_labels == ["Next ▶"]
        rows = await outbox.for_participant(box.store, ann.user.id)
        assert [r.status for r in rows].count(OutboxStatus.SENT) == 1
