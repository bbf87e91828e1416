"""/start's welcome as a flow: one message, the greeting and the main menu's buttons."""

from __future__ import annotations

import pytest

from bot.base.telegram_html import parse_html, utf16_len
from flows.callback_data import encode
from flows.content import load_content
from flows.menu import greeting, main_menu, welcome
from flows.participant_data import MenuItem, MenuPress
from flows.replies import Reply
from flows.strings import Strings

LANGUAGES = ["en", "nl"]
MENU = [
    MenuItem.COURSE,
    MenuItem.REFLECT,
    MenuItem.REGISTER,
    MenuItem.SECTIONS,
    MenuItem.STATUS,
    MenuItem.HELP,
]


def strings_of(language: str) -> Strings:
    return load_content(LANGUAGES, "en").strings(language)


def data_of(reply: Reply) -> list[str]:
    return [button.data for row in reply.buttons for button in row]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("returning", [False, True])
def test_welcome_is_one_message_carrying_the_main_menu(language: str, returning: bool) -> None:
    strings = strings_of(language)
    reply = welcome(strings, "Ann", returning=returning)
    assert isinstance(reply, Reply)
    assert reply.buttons == main_menu(strings).buttons
    assert data_of(reply) == [encode(MenuPress(item)) for item in MENU]
    assert reply.html.endswith(strings("menu.prompt"))
    text, _ = parse_html(reply.html)
    assert utf16_len(text) < 1000  # one screen on a phone, far below Telegram's 4096


@pytest.mark.parametrize("language", LANGUAGES)
def test_newcomer_is_greeted_and_told_what_the_bot_does_in_their_language(language: str) -> None:
    strings = strings_of(language)
    reply = welcome(strings, "Ann", returning=False)
    assert reply.html.startswith(strings("welcome.newcomer", name="Ann"))
    assert "The Magic of a Learning Culture" in reply.html
    assert strings("welcome.returning", name="Ann") not in reply.html


@pytest.mark.parametrize("language", LANGUAGES)
def test_returning_participant_is_welcomed_back_in_their_language(language: str) -> None:
    strings = strings_of(language)
    reply = welcome(strings, "Ann", returning=True)
    assert reply.html.startswith(strings("welcome.returning", name="Ann"))
    assert strings("welcome.newcomer", name="Ann") not in reply.html


def test_welcome_is_in_dutch_for_dutch_strings() -> None:
    english = welcome(strings_of("en"), "Bram", returning=False)
    dutch = welcome(strings_of("nl"), "Bram", returning=False)
    assert dutch.html.startswith("Hallo Bram!")
    assert dutch.html != english.html
    assert dutch.buttons[0][0].label == "📖 Cursus"


def test_greeting_alone_has_no_menu() -> None:
    strings = strings_of("en")
    reply = greeting(strings, "Ann")
    assert reply.buttons == ()
    assert strings("menu.prompt") not in reply.html
