"""Telegram's speed limits and injected faults for the local Bot API server."""

from __future__ import annotations

import math
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Faults", "Limits", "RateGate"]


# What an injected 429 can hit, besides every send* but sendChatAction: Telegram
# answers edits and callback answers "Too Many Requests" too.
THROTTLED = frozenset({"editmessagetext", "editmessagereplymarkup", "answercallbackquery"})


def _throttleable(method: str) -> bool:
    name = method.lower()
    return (name.startswith("send") and name != "sendchataction") or name in THROTTLED


@dataclass
class Limits:
    """Calls allowed per window; None switches a limit off.

    Telegram allows about 30 messages a second overall, 20 a minute in a group,
    and asks for about one a second in one private chat (short bursts pass).
    Only sent messages count towards those; edits and callback answers have
    limits of their own, which Telegram does not publish (off unless set).
    """

    global_per_second: int | None = 30
    per_chat_per_second: int | None = None
    group_per_minute: int | None = 20
    edits_per_chat_per_minute: int | None = None
    answers_per_second: int | None = None


@dataclass
class Faults:
    """Injected trouble: 500s (a random fraction, the next few calls, or chosen
    methods; getUpdates is spared), 429s (a random fraction or chosen methods, of
    sends, edits and callback answers), an added latency on every answer, a
    network outage (`dropping`: every connection is cut before an answer,
    getUpdates too; `dropped` counts them), answers lost on the way back
    (`lose_answers`: the call is carried out, then its connection is cut), and
    webhook updates posted twice (`duplicate_webhooks`: the next N;
    `duplicate_rate`: a fraction)."""

    error_rate: float = 0.0
    throttle_rate: float = 0.0  # a fraction of sends, edits and answers answered 429
    throttle_methods: set[str] = field(default_factory=set)  # these always answered 429
    throttle_retry_after: int = 1
    latency: float = 0.0
    fail_next: int = 0
    fail_methods: set[str] = field(default_factory=set)
    dropping: bool = False
    dropped: int = 0
    lose_answers: int = 0  # the next N calls are carried out, then the connection is cut
    duplicate_webhooks: int = 0  # the next N webhook updates are posted twice
    duplicate_rate: float = 0.0  # a fraction of webhook updates posted twice
    seed: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.rng.seed(self.seed)

    def should_fail(self, method: str) -> bool:
        if method.lower() == "getupdates":
            return False
        if self.fail_next > 0:
            self.fail_next -= 1
            return True
        if method in self.fail_methods:
            return True
        return self.error_rate > 0 and self.rng.random() < self.error_rate

    def should_throttle(self, method: str) -> bool:
        """A 429 for this call? Sends, edits and callback answers; others never."""
        if not _throttleable(method):
            return False
        if method in self.throttle_methods:
            return True
        return self.throttle_rate > 0 and self.rng.random() < self.throttle_rate

    def should_duplicate(self) -> bool:
        """Post the webhook update just delivered once more?"""
        if self.duplicate_webhooks > 0:
            self.duplicate_webhooks -= 1
            return True
        return self.duplicate_rate > 0 and self.rng.random() < self.duplicate_rate


class RateGate:
    """Sliding windows over past calls; answers how long to wait, or 0 to go.

    Sent messages count in `check` (overall, per chat); edits (`check_edit`, per
    chat) and callback answers (`check_answer`) each in windows of their own.
    `peak` is the most messages it let through in any one second (a sliding window),
    `refused` how many sends it answered 429: what a test asserts the bot kept to.
    """

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self._all: deque[float] = deque()
        self._per_chat: dict[int, deque[float]] = {}
        self._edits: dict[int, deque[float]] = {}
        self._answers: deque[float] = deque()
        self.peak = 0
        self.refused = 0

    def check(self, chat_id: int, is_group: bool) -> int:
        """Retry-after seconds if this send would break a limit, else 0 (and count it)."""
        now = self.clock()
        chat_window = (
            (60.0, self.limits.group_per_minute)
            if is_group
            else (
                1.0,
                self.limits.per_chat_per_second,
            )
        )
        chat_sends = self._per_chat.setdefault(chat_id, deque())
        for sends, (window, allowed) in (
            (self._all, (1.0, self.limits.global_per_second)),
            (chat_sends, chat_window),
        ):
            wait = _wait(sends, window, allowed, now)
            if wait:
                self.refused += 1
                return wait
        self._all.append(now)
        chat_sends.append(now)
        # The window holds every send of the last second: its largest size is the peak.
        self.peak = max(self.peak, len(self._all))
        return 0

    def check_edit(self, chat_id: int) -> int:
        """Retry-after seconds if this edit would break the per-chat edit limit, else 0."""
        edits = self._edits.setdefault(chat_id, deque())
        return _counted(edits, 60.0, self.limits.edits_per_chat_per_minute, self.clock())

    def check_answer(self) -> int:
        """Retry-after seconds if this callback answer would break its limit, else 0."""
        return _counted(self._answers, 1.0, self.limits.answers_per_second, self.clock())


def _wait(calls: deque[float], window: float, allowed: int | None, now: float) -> int:
    """Seconds until one more call fits in the window (0: it fits now)."""
    while calls and calls[0] <= now - window:
        calls.popleft()
    if allowed is not None and len(calls) >= allowed:
        return max(1, math.ceil(calls[0] + window - now))
    return 0


def _counted(calls: deque[float], window: float, allowed: int | None, now: float) -> int:
    wait = _wait(calls, window, allowed, now)
    if not wait:
        calls.append(now)
    return wait
