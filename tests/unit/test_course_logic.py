"""The pure course logic: markdown to Telegram HTML, navigation, quiet hours, drip offers."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.base.telegram_html import parse_html
from flows.content import load_content
from flows.course import CourseAction, Progress, navigate
from flows.drip import QuietHours, drip_offer
from flows.markdown import to_telegram_html
from flows.replies import ClearButtons, Reply

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
CONTENT = load_content(["en", "nl"], "en")
COURSE = CONTENT.course("en")
STRINGS = CONTENT.strings("en")


def test_markdown_becomes_telegram_html_and_raw_html_stays_text() -> None:
    html = to_telegram_html("**Bold** *it* [MOOC](https://x.org/?a=1&b=2)\nsame line <b>no</b>")
    assert html == (
        '<b>Bold</b> <i>it</i> <a href="https://x.org/?a=1&amp;b=2">MOOC</a> '
        "same line &lt;b&gt;no&lt;/b&gt;"
    )
    text, _ = parse_html(html)
    assert text == "Bold it MOOC same line <b>no</b>"


def test_markdown_lists_become_bullets() -> None:
    assert to_telegram_html("Focus on:\n\n- **care**\n- facilitation\n\n1. one\n2. two") == (
        "Focus on:\n\n• <b>care</b>\n• facilitation\n\n1. one\n2. two"
    )


def test_next_on_the_current_card_moves_one_card() -> None:
    progress, replies = navigate(
        COURSE, STRINGS, Progress("why", 1), CourseAction("next", "why", 1)
    )
    assert progress == Progress("why", 2)
    assert isinstance(replies[0], ClearButtons)
    assert isinstance(replies[1], Reply)
    assert replies[1].buttons[0][0].data == "c:n:why:2"


def test_next_on_another_card_is_stale_and_changes_nothing() -> None:
    before = Progress("why", 2)
    after, replies = navigate(COURSE, STRINGS, before, CourseAction("next", "why", 1))
    assert after == before
    assert replies == [ClearButtons(stale=STRINGS.plain("course.stale"))]


def test_last_card_finishes_the_section_and_offers_the_next() -> None:
    progress, replies = navigate(
        COURSE, STRINGS, Progress("why", 2), CourseAction("next", "why", 2)
    )
    assert progress.finished == frozenset({"why"})
    last = replies[-1]
    assert isinstance(last, Reply)
    assert [b.label for row in last.buttons for b in row] == [
        "💬 Reflect on this now",
        "Next: How? ▶",
        "Continue tomorrow",
    ]


def test_resume_after_a_finished_section_opens_the_next_unread() -> None:
    done = Progress("why", 3, frozenset({"introduction", "why"}))
    progress, _ = navigate(COURSE, STRINGS, done, CourseAction("resume"))
    assert progress.section_id == "how"
    assert progress.card == 0


def test_resume_when_everything_is_read_lists_the_sections() -> None:
    everything = Progress("what", 3, frozenset(s.id for s in COURSE.sections))
    progress, replies = navigate(COURSE, STRINGS, everything, CourseAction("resume"))
    assert progress == everything
    assert isinstance(replies[0], Reply)
    assert "4 of 4" in replies[0].html


@pytest.mark.parametrize(
    "data", ["c:n:why", "c:n:why:x", "x:n:why:1", "c", "c:q:why:1", "c:n:why:1:extra"]
)
def test_malformed_callback_data_is_refused_or_harmless(data: str) -> None:
    action = CourseAction.parse(data)
    if action is not None:
        progress, _ = navigate(COURSE, STRINGS, Progress("why", 1), action)
        assert progress.card in (1, 2)


def test_quiet_hours_wrap_midnight_in_the_sessions_zone() -> None:
    quiet = QuietHours(time(21), time(8), AMSTERDAM)
    evening = datetime(2026, 12, 1, 20, 30, tzinfo=UTC)  # 21:30 in Amsterdam
    assert quiet.contains(evening)
    assert quiet.next_allowed(evening) == datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    noon = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    assert not quiet.contains(noon)
    assert quiet.due(noon, timedelta(days=1)) == noon + timedelta(days=1)


def test_quiet_hours_follow_summer_time() -> None:
    quiet = QuietHours(time(21), time(8), AMSTERDAM)
    summer_night = datetime(2027, 7, 1, 2, 0, tzinfo=UTC)  # 04:00 in Amsterdam (UTC+2)
    assert quiet.next_allowed(summer_night) == datetime(2027, 7, 1, 6, 0, tzinfo=UTC)


def test_drip_offer_names_the_part_to_continue() -> None:
    halfway = drip_offer(COURSE, STRINGS, Progress("how", 1))
    assert halfway is not None
    assert "How?" in halfway.html
    assert (
        drip_offer(COURSE, STRINGS, Progress("what", 3, frozenset(s.id for s in COURSE.sections)))
        is None
    )
