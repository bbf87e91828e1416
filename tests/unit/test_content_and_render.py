"""Strings from content/ and how replies become Telegram messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.base.telegram_html import HtmlError, parse_html, utf16_len
from bot.base.telegram_text import split_html
from bot.shell.render import keyboard
from flows.content import ContentError, load_content
from flows.menu import main_menu, welcome
from flows.replies import Button


def test_every_english_key_has_a_dutch_translation() -> None:
    content = load_content(["en", "nl"], "en")
    assert content.strings("nl").missing() == []


MINIMAL_SECTION = '+++\nid = "intro"\norder = 1\ntitle = "Intro"\nquestion = "q1"\n+++\n\nHello.\n'


def content_tree(root: Path, english: str, dutch: str) -> Path:
    for language, strings in (("en", english), ("nl", dutch)):
        (root / language).mkdir()
        (root / language / "strings.toml").write_text(strings)
    (root / "en" / "course").mkdir()
    (root / "en" / "course" / "1-intro.md").write_text(MINIMAL_SECTION)
    return root


def test_missing_translation_falls_back_to_english(tmp_path: Path) -> None:
    content_tree(
        tmp_path, '[menu]\nprompt = "Menu"\nhelp = "Help"\n', '[menu]\nprompt = "Keuzelijst"\n'
    )
    strings = load_content(["en", "nl"], "en", root=tmp_path).strings("nl")
    assert strings("menu.prompt") == "Keuzelijst"
    assert strings("menu.help") == "Help"
    assert strings.missing() == ["menu.help"]


def test_typo_in_a_translation_key_names_the_file_and_line(tmp_path: Path) -> None:
    content_tree(tmp_path, '[menu]\nprompt = "Menu"\n', '[menu]\npromt = "Menu"\n')
    with pytest.raises(ContentError) as caught:
        load_content(["en", "nl"], "en", root=tmp_path)
    path = tmp_path / "nl" / "strings.toml"
    assert caught.value.lines == [f"{path}:2: menu.promt: not an English key (a typo?)"]


def test_unknown_language_gets_the_default() -> None:
    content = load_content(["en", "nl"], "en")
    assert content.pick_language("nl-BE") == "nl"
    assert content.pick_language("fr") == "en"
    assert content.pick_language(None) == "en"


def test_user_values_are_escaped_in_templates() -> None:
    strings = load_content(["en"], "en").strings("en")
    greeting = welcome(strings, "<b>x</b> & y", returning=False)
    assert greeting.html.startswith("Hello &lt;b&gt;x&lt;/b&gt; &amp; y! 👋\n")
    assert parse_html(greeting.html)[0].startswith("Hello <b>x</b> & y! 👋\n")


def test_menu_buttons_fit_telegram_callback_limits() -> None:
    strings = load_content(["en"], "en").strings("en")
    assert keyboard(main_menu(strings).buttons) is not None


def test_callback_data_over_64_bytes_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="1-64 bytes"):
        keyboard([[Button("x", "é" * 33)]])


@given(st.text(alphabet=st.sampled_from("ab <>&😀\nשׁ"), max_size=9000))
def test_split_html_keeps_every_chunk_under_the_limit_and_loses_nothing(raw: str) -> None:
    import html

    escaped = html.escape(raw, quote=False)
    chunks = split_html(escaped, limit=300)
    assert all(utf16_len(parse_html(chunk)[0]) <= 300 for chunk in chunks)  # as parsed
    for chunk in chunks:
        parse_html(chunk)  # never cuts an entity such as &amp; in half
    joined = "".join(html.unescape(c) for c in chunks).replace("\n", "").replace(" ", "")
    assert joined == raw.replace("\n", "").replace(" ", "")


def test_split_html_prefers_line_breaks() -> None:
    text = "\n".join(f"<b>line {i}</b> " + "x" * 50 for i in range(200))
    chunks = split_html(text)
    assert len(chunks) > 1
    for chunk in chunks:
        assert utf16_len(parse_html(chunk)[0]) <= 4096


def test_html_parser_counts_offsets_in_utf16() -> None:
    text, entities = parse_html("😀 <b>bold</b>")
    assert text == "😀 bold"
    assert entities == [{"type": "bold", "offset": 3, "length": 4}]


def test_html_parser_refuses_unescaped_user_text() -> None:
    with pytest.raises(HtmlError, match="unsupported start tag"):
        parse_html("I <3 learning")
