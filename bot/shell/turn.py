"""The turn: what one update's handling owes people, kept until its writes commit.

While an update is handled (bot/shell/inbox.py), its handlers do not talk to Telegram:
`respond` adds their replies here and notes how to answer the button press. The
inbox then queues the replies as outbox rows in the handler's own transaction,
commits, and only then answers the press and sends them. So a reply exists if and
only if what it confirms was stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field

from bot.services.sender import Pressed
from flows.replies import Out

__all__ = ["Turn", "after_commit", "current"]


@dataclass(slots=True)
class Turn:
    update_id: int
    # Per chat, in order: the replies and the pressed message they may edit.
    outgoing: dict[int, tuple[list[Out], Pressed | None]] = field(default_factory=dict)
    # The button press's answer: None while unanswered, else the toast ("" for none).
    toast: str | None = None
    error: BaseException | None = None
    # Work that talks to Telegram or waits on other writers: after the commit.
    after: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    task: asyncio.Task[object] | None = field(default_factory=asyncio.current_task)

    def add(self, chat_id: int, replies: Sequence[Out], pressed: Pressed | None) -> None:
        queued, before = self.outgoing.get(chat_id, ([], None))
        queued.extend(replies)
        self.outgoing[chat_id] = (queued, before or pressed)


_CURRENT: ContextVar[Turn | None] = ContextVar("bot_turn", default=None)


def current() -> Turn | None:
    """The turn the running handler belongs to (None outside the inbox: jobs, the CLI,
    and tasks or timers started from inside a turn, which copy its context)."""
    turn = _CURRENT.get()
    if turn is None or turn.task is not asyncio.current_task():
        return None
    return turn


async def after_commit(work: Callable[[], Awaitable[None]]) -> None:
    """Run `work` once the update's writes are committed (at once outside a turn): what
    must not hold the write lock, such as calls to Telegram or a job that writes."""
    turn = current()
    if turn is None:
        await work()
    else:
        turn.after.append(work)


def begin(turn: Turn) -> object:
    return _CURRENT.set(turn)


def end(token: object) -> None:
    _CURRENT.reset(token)  # type: ignore[arg-type]
