"""Telegram's speed limits and injected faults for the local Bot API server."""

from __future__ import annotations

import math
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Faults", "Limits", "RateGate"]


@dataclass
class Limits:
    """Sends allowed per window; None switches a limit off.

    Telegram allows about 30 messages a second overall, 20 a minute in a group,
    and asks for about one a second in one private chat (short bursts pass).
    """

    global_per_second: int | None = 30
    per_chat_per_second: int | None = None
    group_per_minute: int | None = 20


@dataclass
class Faults:
    """Injected trouble: 500s (a random fraction, the next few calls, or chosen
    methods; getUpdates is spared), an added latency on every answer, and a
    network outage (`dropping`: every connection is cut before an answer,
    getUpdates too; `dropped` counts them), and answers lost on the way back
    (`lose_answers`: the call is carried out, then its connection is cut)."""

    error_rate: float = 0.0
    throttle_rate: float = 0.0  # a fraction of sends answered 429 (retry after 1 s)
    latency: float = 0.0
    fail_next: int = 0
    fail_methods: set[str] = field(default_factory=set)
    dropping: bool = False
    dropped: int = 0
    lose_answers: int = 0  # the next N calls are carried out, then the connection is cut
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
        sends = method.lower().startswith("send") and method.lower() != "sendchataction"
        return sends and self.throttle_rate > 0 and self.rng.random() < self.throttle_rate


class RateGate:
    """Sliding windows over past sends; answers how long to wait, or 0 to go."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self._all: deque[float] = deque()
        self._per_chat: dict[int, deque[float]] = {}

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
            while sends and sends[0] <= now - window:
                sends.popleft()
            if allowed is not None and len(sends) >= allowed:
                return max(1, math.ceil(sends[0] + window - now))
        self._all.append(now)
        chat_sends.append(now)
        return 0
