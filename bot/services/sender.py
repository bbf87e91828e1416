"""The outbox's door to the messenger: the `Sender` and `Timer` protocols and their errors.

The dispatcher and the broadcasts talk to Telegram only through these; the shell
implements them (bot/shell/sender.py) and turns Telegram's errors into the ones
here, so the services decide what a failure means without knowing python-telegram-bot.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from flows.replies import Out, Reply

__all__ = [
    "Blocked",
    "MaybeDelivered",
    "NoChatYet",
    "NotDelivered",
    "Notices",
    "Pressed",
    "Rejected",
    "SendError",
    "Sender",
    "Sent",
    "SlowDown",
    "Timer",
    "Unreachable",
    "Work",
]

Work = Callable[[], Awaitable[None]]


class _ShownMessage(Protocol):
    @property
    def message_id(self) -> int: ...

    @property
    def reply_markup(self) -> object | None: ...


@dataclass(frozen=True, slots=True)
class Pressed:
    """The message whose button was pressed: to edit it, or to take its buttons off."""

    message_id: int
    has_buttons: bool

    @classmethod
    def of(cls, message: _ShownMessage | None) -> Pressed | None:
        if message is None:
            return None
        return cls(message.message_id, message.reply_markup is not None)


@dataclass(frozen=True, slots=True)
class Sent:
    """A message a reply sent, edited or took the buttons off, with the callback data of
    the buttons it carries now (none after `ClearButtons`)."""

    message_id: int
    callbacks: tuple[str, ...] = ()


class SendError(Exception):
    """A message was not sent (for a reason not named below: tried again later)."""


class Unreachable(SendError):
    """Telegram's 403: the bot may not write to this chat."""


class NoChatYet(Unreachable):
    """ "Bot can't initiate conversation": they never opened the chat (not a block)."""


class Blocked(Unreachable):
    """They blocked the bot (or a group removed it)."""


class SlowDown(SendError):
    """Telegram's 429: nobody sends for `seconds`."""

    def __init__(self, seconds: float, message: str = "") -> None:
        super().__init__(message or f"retry after {seconds} s")
        self.seconds = seconds


class Rejected(SendError):
    """A 400: the message itself is wrong; sending it again cannot help."""


class NotDelivered(SendError):
    """Refused (a 5xx) or no connection made: it certainly did not arrive."""


class MaybeDelivered(SendError):
    """A timeout or a lost answer: it may have arrived."""


class Sender(Protocol):
    """Sends one message of an outbox row (raises a `SendError` when it did not go)."""

    async def send(
        self, chat_id: int, message: Out, *, pressed: Pressed | None, patient: bool, paid: bool
    ) -> list[Sent]:
        """Send, edit or take buttons off; the messages whose buttons are now on or off.
        `patient`: wait out a 429 (else raise SlowDown at once); `paid`: a paid broadcast."""
        ...


class Notices(Protocol):
    """What a service says outside the outbox (a broadcast's progress and report), and
    when: after the update in hand has committed."""

    async def post(self, chat_id: int, reply: Reply) -> int:
        """Send a message at once; its message id (raises a `SendError`)."""
        ...

    async def edit(self, chat_id: int, message_id: int, reply: Reply) -> None:
        """Replace a message's text and buttons; unchanged is fine (raises a `SendError`)."""
        ...

    async def after_commit(self, work: Work) -> None:
        """Run `work` once the update in hand is committed (at once outside one)."""
        ...


class Timer(Protocol):
    """The clock that wakes a service (PTB's JobQueue in the shell)."""

    def once(self, name: str, delay: float, work: Work) -> None:
        """Run `work` in `delay` seconds, instead of any run of `name` still waiting."""
        ...

    def every(self, name: str, interval: float, work: Work, *, first: float | None = None) -> None:
        """Run `work` every `interval` seconds, first after `first` s (None: one interval)."""
        ...
