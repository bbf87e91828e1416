"""The sandbox's terminal shows Telegram's formatting as text styles."""

from __future__ import annotations

from bot.base.telegram_html import parse_html
from bot.sandbox.styled import styled


def spans(html: str) -> tuple[str, dict[str, str]]:
    text = styled(*parse_html(html))
    return text.plain, {text.plain[s.start : s.end]: str(s.style) for s in text.spans}


def test_bold_italic_code_and_spoiler_become_styles() -> None:
    plain, styles = spans(
        "🌱 <b>Part 1</b>, <i>why</i>, <code>/answers</code> and <tg-spoiler>a secret</tg-spoiler>"
    )
    assert plain == "🌱 Part 1, why, /answers and a secret"
    assert styles["Part 1"] == "bold"  # after an emoji of two UTF-16 units, still in place
    assert styles["why"] == "italic"
    assert "cyan" in styles["/answers"]
    assert "reverse" in styles["a secret"]


def test_a_link_keeps_its_words_and_shows_its_address() -> None:
    plain, styles = spans('Read <a href="https://mooc.example.org">the <b>MOOC</b></a>.')
    assert plain == "Read the MOOC (https://mooc.example.org)."
    assert "link https://mooc.example.org" in styles["the "]
    assert "bold" in styles["MOOC"]


def test_a_blockquote_gets_a_bar_on_each_line() -> None:
    plain, _ = spans("Said:\n<blockquote>one\ntwo</blockquote>")
    assert plain == "Said:\n▎ one\n▎ two"
