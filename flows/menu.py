"""The welcome, the main menu, help and status: pure functions from strings to replies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flows.callback_data import encode
from flows.participant_data import MenuItem, MenuPress
from flows.replies import Button, Reply
from flows.strings import Markup, Strings
from flows.when import long_date

__all__ = [
    "Status",
    "greeting",
    "help_reply",
    "main_menu",
    "status_reply",
    "welcome",
]


def _button(strings: Strings, item: MenuItem, key: str) -> Button:
    return Button(strings.plain(key), encode(MenuPress(item)))


def main_menu(strings: Strings) -> Reply:
    return Reply(
        strings("menu.prompt"),
        buttons=(
            (
                _button(strings, MenuItem.COURSE, "menu.course"),
                _button(strings, MenuItem.REFLECT, "menu.reflect"),
            ),
            (_button(strings, MenuItem.REGISTER, "menu.register"),),
            (
                _button(strings, MenuItem.SECTIONS, "menu.sections"),
                _button(strings, MenuItem.STATUS, "menu.status"),
            ),
            (_button(strings, MenuItem.HELP, "menu.help"),),
        ),
    )


def greeting(strings: Strings, first_name: str) -> Reply:
    """The newcomer's greeting alone: who the bot is and what it offers, no menu."""
    return Reply(strings("welcome.newcomer", name=first_name))


def welcome(strings: Strings, first_name: str, *, returning: bool) -> Reply:
    """/start's one message: the greeting (or a welcome back) with the main menu's buttons.

    One message, not several: under Telegram's ~30 messages a second a burst of
    newcomers waits for every message the welcome costs.
    """
    menu = main_menu(strings)
    if returning:
        hello = strings("welcome.returning", name=first_name)
    else:
        hello = greeting(strings, first_name).html
    return Reply(f"{hello}\n\n{menu.html}", buttons=menu.buttons)


def help_reply(strings: Strings) -> Reply:
    return Reply(strings("help.text"))


@dataclass(frozen=True)
class Status:
    """What a participant has, as /status shows it."""

    name: str
    language: str
    joined: datetime
    zone: ZoneInfo  # the day they joined, as it was where the session is
    sections_read: int
    sections: int
    answered: int
    questions: int
    registration: Markup
    login: str
    registered: bool


def status_reply(strings: Strings, status: Status) -> Reply:
    text = strings(
        "status.text",
        name=status.name,
        language=strings.plain(f"languages.{status.language}"),
        joined=long_date(status.joined, status.zone, strings),
        done=status.sections_read,
        total=status.sections,
        answered=status.answered,
        questions=status.questions,
        registration=status.registration,
        login=status.login,
    )
    buttons: tuple[tuple[Button, ...], ...] = ()
    if status.registered:
        buttons = ((_button(strings, MenuItem.CANCEL, "registration.menu_cancel"),),)
    return Reply(text, buttons)
