"""Telegram's errors as the outbox knows them (bot/shell/sender.py), with their words kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.services.sender import (
    Blocked,
    MaybeDelivered,
    NoChatYet,
    NotDelivered,
    Rejected,
    SendError,
    SlowDown,
)
from bot.shell.http import NotSent
from bot.shell.sender import translated


def caused(exc: TelegramError) -> TelegramError:
    """The error as raised with a cause: the request went out and its answer was lost."""
    exc.__cause__ = OSError("connection reset")
    return exc


@pytest.mark.parametrize(
    ("error", "ours"),
    [
        (Forbidden("Forbidden: bot can't initiate conversation with a user"), NoChatYet),
        (Forbidden("Forbidden: bot was blocked by the user"), Blocked),
        (Forbidden("Forbidden: bot was kicked from the group chat"), Blocked),
        (BadRequest("Bad Request: chat not found"), Rejected),
        (NetworkError("Bad Gateway"), NotDelivered),  # a 5xx: PTB raises it without a cause
        (caused(NotSent("aiohttp.ClientConnectorError: refused")), NotDelivered),
        (caused(NetworkError("aiohttp.ServerDisconnectedError")), MaybeDelivered),
        (caused(TimedOut()), MaybeDelivered),
        (Conflict("Conflict: terminated by other getUpdates request"), SendError),
    ],
)
def test_each_telegram_error_has_its_meaning(error: TelegramError, ours: type[SendError]) -> None:
    found = translated(error)
    assert type(found) is ours
    assert str(found) == str(error)  # stored as the row's error and logged: the same words


@pytest.mark.parametrize("after", [7, timedelta(seconds=7)])
def test_a_429_says_how_long_to_wait(after: int | timedelta) -> None:
    found = translated(RetryAfter(after))
    assert isinstance(found, SlowDown)
    assert found.seconds == 7
