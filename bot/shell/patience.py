"""How a call to Telegram meets trouble: a 429 waited out, a refusal tried again, or skipped."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.shell.http import NotSent

__all__ = ["COSMETIC_WAIT", "PATIENCE", "cosmetic", "patiently", "refused", "seconds_of"]

log = logging.getLogger(__name__)
T = TypeVar("T")
PATIENCE = 3
COSMETIC_WAIT = 3.0  # a 429 on a cosmetic call is waited out only this long


def seconds_of(exc: RetryAfter) -> float:
    """How long Telegram's 429 asks us to wait."""
    wait = exc.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


def refused(exc: NetworkError) -> bool:
    """The Bot API refused it (a 5xx: PTB raises it without a cause) or no connection
    was made: it certainly did not arrive. A timeout or a lost answer may have."""
    return exc.__cause__ is None or isinstance(exc, NotSent)


async def cosmetic(what: str, call: Callable[[], Awaitable[object]]) -> bool:
    """A call that only polishes (answering a press, taking old buttons off): a short
    429 or a refused request is tried once more, anything else is logged and skipped;
    it never aborts the reply it goes with. True when it went through."""
    for attempt in range(2):
        try:
            await call()
            return True
        except RetryAfter as exc:
            seconds = seconds_of(exc)
            if attempt or seconds > COSMETIC_WAIT:
                log.info("skipped %s: 429, retry after %s s", what, seconds)
                return False
            await asyncio.sleep(seconds)
        except Forbidden:
            raise  # blocked: the caller stops sending altogether
        except (BadRequest, TimedOut) as exc:
            log.info("skipped %s: %s", what, exc)
            return False
        except NetworkError as exc:
            if attempt:
                log.info("skipped %s: %s", what, exc)
                return False
            await asyncio.sleep(0.5)
        except TelegramError as exc:
            log.info("skipped %s: %s", what, exc)
            return False
    return False


async def patiently(call: Callable[[], Awaitable[T]], patient: bool) -> T:
    """A direct reply that meets Telegram's 429 waits as told; one the Bot API refused
    with a 5xx, or that found no connection, tries again after 0.5 s, then 1 s (a few
    times in all). A timeout or a connection lost after sending is not retried: that
    message may have arrived, and twice is worse."""
    for attempt in range(PATIENCE):
        try:
            return await call()
        except RetryAfter as exc:
            if not patient or attempt == PATIENCE - 1:
                raise
            wait = exc.retry_after
            await asyncio.sleep(wait.total_seconds() if isinstance(wait, timedelta) else wait)
        except (TimedOut, BadRequest):
            raise
        except NetworkError as exc:
            # PTB raises a 5xx answer itself (no cause); a lost answer has aiohttp's cause.
            if not patient or not refused(exc) or attempt == PATIENCE - 1:
                raise
            await asyncio.sleep(0.5 * 2**attempt)
    raise AssertionError("unreachable")
