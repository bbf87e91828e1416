"""The welcome, the main menu, help and status: pure functions from strings to replies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from flows.replies import Button, Reply
from flows.strings import Markup, Strings

__all__ = ["MenuAction", "Status", "help_reply", "main_menu", "status_reply", "welcome"]


class MenuAction(StrEnum):
    """Callback data of the main menu's buttons (a feature not built yet has none)."""

    COURSE = "menu:course"
    REFLECT = "menu:reflect"
    REGISTER = "menu:register"
    CANCEL = "menu:cancel"
    SECTIONS = "menu:sections"
    STATUS = "menu:status"
    HELP = "menu:help"


def main_menu(strings: Strings) -> Reply:
    return Reply(
        strings("menu.prompt"),
        buttons=(
            (
                Button(strings.plain("menu.course"), MenuAction.COURSE),
                Button(strings.plain("menu.reflect"), MenuAction.REFLECT),
            ),
            (Button(strings.plain("menu.register"), MenuAction.REGISTER),),
            (
                Button(strings.plain("menu.sections"), MenuAction.SECTIONS),
                Button(strings.plain("menu.status"), MenuAction.STATUS),
            ),
            (Button(strings.plain("menu.help"), MenuAction.HELP),),
        ),
    )


def welcome(strings: Strings, first_name: str, *, returning: bool) -> list[Reply]:
    """The greeting: three short messages for a newcomer, one for someone returning."""
    if returning:
        return [Reply(strings("welcome.returning", name=first_name)), main_menu(strings)]
    return [
        Reply(strings("welcome.greeting", name=first_name)),
        Reply(strings("welcome.about")),
        Reply(strings("welcome.purpose")),
        main_menu(strings),
    ]


def help_reply(strings: Strings) -> Reply:
    return Reply(strings("help.text"))


@dataclass(frozen=True)
class Status:
    """What a participant has, as /status shows it."""

    name: str
    language: str
    joined: datetime
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
        joined=status.joined.strftime("%d-%m-%Y"),
        done=status.sections_read,
        total=status.sections,
        answered=status.answered,
        questions=status.questions,
        registration=status.registration,
        login=status.login,
    )
    buttons: tuple[tuple[Button, ...], ...] = ()
    if status.registered:
        buttons = ((Button(strings.plain("registration.menu_cancel"), MenuAction.CANCEL),),)
    return Reply(text, buttons)
