"""The commands every participant sees in Telegram's command menu, in order."""

from __future__ import annotations

__all__ = ["COMMANDS"]

# Descriptions come from content/<lang>/strings.toml, [commands].
COMMANDS = (
    "start",
    "menu",
    "course",
    "sections",
    "reflect",
    "myanswers",
    "register",
    "cancel_registration",
    "language",
    "pause",
    "resume",
    "reminders",
    "status",
    "mydata",
    "forget",
    "help",
)
