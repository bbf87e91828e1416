"""The services' `Sender`, `Notices` and `Timer` on python-telegram-bot; its errors as ours."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import CallbackContext, JobQueue

from bot.services.sender import (
    Blocked,
    MaybeDelivered,
    NoChatYet,
    NotDelivered,
    Pressed,
    Rejected,
    SendError,
    Sent,
    SlowDown,
    Work,
)
from bot.shell.patience import refused, seconds_of
from bot.shell.render import keyboard, send_replies
from bot.shell.turn import after_commit
from flows.replies import Out, Reply

__all__ = ["JobQueueTimer", "TelegramSender", "translated"]

T = TypeVar("T")


def translated(exc: TelegramError) -> SendError:
    """Telegram's error as the services know it (the same words: they are stored and logged)."""
    if isinstance(exc, RetryAfter):
        return SlowDown(seconds_of(exc), str(exc))
    if isinstance(exc, Forbidden):
        return NoChatYet(str(exc)) if _never_started(exc) else Blocked(str(exc))
    if isinstance(exc, BadRequest):  # (a NetworkError to PTB, but final)
        return Rejected(str(exc))
    if isinstance(exc, NetworkError):
        return NotDelivered(str(exc)) if refused(exc) else MaybeDelivered(str(exc))
    return SendError(str(exc))


def _never_started(exc: Forbidden) -> bool:
    """Telegram's "bot can't initiate conversation with a user": no chat yet, not a block
    ("bot was blocked by the user")."""
    return "can't initiate conversation" in exc.message.lower()


async def _ours(call: Awaitable[T]) -> T:
    try:
        return await call
    except TelegramError as exc:
        raise translated(exc) from exc


class TelegramSender:
    """Sends through PTB's `Bot`: the outbox's messages, a broadcast's progress and report."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(
        self, chat_id: int, message: Out, *, pressed: Pressed | None, patient: bool, paid: bool
    ) -> list[Sent]:
        """One outbox message, without reading Telegram's answer into PTB's objects."""
        shown = await _ours(
            send_replies(
                self.bot,
                chat_id,
                [message],
                pressed=pressed,
                patient=patient,
                paid=paid,
                read_answers=False,
            )
        )
        return shown.changed

    async def post(self, chat_id: int, reply: Reply) -> int:
        shown = await _ours(send_replies(self.bot, chat_id, [reply]))
        [message_id] = shown.message_ids
        return message_id

    async def edit(self, chat_id: int, message_id: int, reply: Reply) -> None:
        try:
            await self.bot.edit_message_text(
                reply.html,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(reply.buttons),
            )
        except BadRequest as exc:
            if "not modified" not in exc.message:
                raise translated(exc) from exc
        except TelegramError as exc:
            raise translated(exc) from exc

    async def after_commit(self, work: Work) -> None:
        await after_commit(work)


class JobQueueTimer:
    """The services' `Timer` on PTB's JobQueue (APScheduler)."""

    def __init__(self, job_queue: JobQueue[Any]) -> None:
        self.job_queue = job_queue

    def once(self, name: str, delay: float, work: Work) -> None:
        for job in self.job_queue.get_jobs_by_name(name):
            job.schedule_removal()
        self.job_queue.run_once(_job(work), when=delay, name=name)

    def every(self, name: str, interval: float, work: Work, *, first: float | None = None) -> None:
        self.job_queue.run_repeating(_job(work), interval=interval, first=first, name=name)


def _job(work: Work) -> Callable[[CallbackContext[Any, Any, Any, Any]], Coroutine[Any, Any, None]]:
    async def run(_context: CallbackContext[Any, Any, Any, Any]) -> None:
        await work()

    return run
