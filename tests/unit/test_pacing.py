"""The pacer's slots keep Telegram's limits for any pattern of senders (property tests)."""

from __future__ import annotations

import heapq
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.pacing import MARGIN, PER_CHAT_INTERVAL, WINDOW, Pacer

# (seconds after the previous request, chat)
requests = st.lists(
    st.tuples(st.floats(min_value=0, max_value=0.5), st.integers(min_value=1, max_value=8)),
    min_size=1,
    max_size=200,
)


def grants(pacer: Pacer, plan: list[tuple[float, int]]) -> list[tuple[float, float, int]]:
    """Play the requests as `Pacer.wait` would: (asked at, granted at, chat) for each."""
    asked: list[tuple[float, int, int]] = []
    now = 0.0
    for index, (gap, chat) in enumerate(plan):
        now += gap
        asked.append((now, index, chat))
    first = {index: at for at, index, _ in asked}
    pending = list(asked)
    heapq.heapify(pending)
    granted = []
    while pending:
        now, index, chat = heapq.heappop(pending)
        at, taken = pacer.reserve(chat, now)
        if taken:
            granted.append((first[index], at, chat))
        else:
            heapq.heappush(pending, (at, index, chat))
    return granted


@settings(max_examples=200, deadline=None)
@given(plan=requests, rate=st.sampled_from([1, 3, 30, 100, 1000]))
def test_no_window_holds_more_than_the_limit(plan: list[tuple[float, int]], rate: int) -> None:
    pacer = Pacer(rate)
    times = sorted(at for _, at, _ in grants(pacer, plan))
    for i, at in enumerate(times):
        in_window = [t for t in times[: i + 1] if t > at - WINDOW - MARGIN + 1e-9]
        assert len(in_window) <= pacer.limit


@settings(max_examples=200, deadline=None)
@given(plan=requests, rate=st.sampled_from([3, 30, 1000]))
def test_slots_are_evenly_spaced_and_never_early(plan: list[tuple[float, int]], rate: int) -> None:
    granted = grants(Pacer(rate), plan)
    assert len(granted) == len(plan)  # everyone gets a slot
    assert all(at >= asked for asked, at, _ in granted)
    times = sorted(at for _, at, _ in granted)
    assert all(b - a >= 1 / rate - 1e-9 for a, b in itertools.pairwise(times))


@settings(max_examples=200, deadline=None)
@given(plan=requests)
def test_one_message_a_second_per_chat(plan: list[tuple[float, int]]) -> None:
    by_chat: dict[int, list[float]] = {}
    for _, at, chat in grants(Pacer(1000), plan):
        by_chat.setdefault(chat, []).append(at)
    for times in by_chat.values():
        times.sort()
        assert all(b - a >= PER_CHAT_INTERVAL - 1e-9 for a, b in itertools.pairwise(times))


def test_a_crowd_at_once_goes_out_at_the_full_rate() -> None:
    pacer = Pacer(1000)
    granted = grants(pacer, [(0.0, chat) for chat in range(3000)])
    last = max(at for _, at, _ in granted)
    # 3,000 messages at 1,000 a second with the window's small margin: about three seconds.
    assert 2.9 <= last <= 3 * (WINDOW + MARGIN)


def test_after_a_pause_nobody_is_given_a_slot_before_it_ends() -> None:
    pacer = Pacer(30, clock=lambda: 0.0)
    pacer.pause(5.0)
    at, taken = pacer.reserve(1, now=0.0)
    assert taken
    assert at == 5.0
