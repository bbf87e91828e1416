"""The welcome, the main menu, help and status: pure functions from strings to replies."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flows.content import Strings
from flows.replies import Button, Reply

__all__ = ["MenuAction", "help_reply", "main_menu", "status_reply", "welcome"]


class MenuAction(StrEnum):
    """Callback data of the main menu's buttons (a feature not built yet has none)."""

    COURSE = "menu:course"
    REFLECT = "menu:reflect"
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


def status_reply(
    strings: Strings, *, name: str, language: str, joined: datetime, done: int, total: int
) -> Reply:
    return Reply(
        strings(
            "status.text",
            name=name,
            language=strings.plain(f"languages.{language}"),
            joined=joined.strftime("%d %b %Y"),
            done=done,
            total=total,
        )
    )
