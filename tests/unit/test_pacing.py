"""The pacer keeps Telegram's limits for any pattern of senders, and people go first
(property tests on the pure core, time passed in)."""

from __future__ import annotations

import asyncio
import heapq
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.services.pacing import LATE, MARGIN, PER_CHAT_INTERVAL, WINDOW, Pacer, PacerCore

# (seconds after the previous request, chat, urgent)
Plan = list[tuple[float, int, bool]]
requests = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=0.5), st.integers(min_value=1, max_value=8), st.booleans()
    ),
    min_size=1,
    max_size=200,
)


def play(core: PacerCore, plan: list[tuple[float, int, bool]]) -> dict[int, tuple[float, float]]:
    """Play the requests against the core: ticket -> (asked at, granted at)."""
    arrivals: list[tuple[float, int, int, bool]] = []
    now = 0.0
    for ticket, (gap, chat, urgent) in enumerate(plan):
        now += gap
        arrivals.append((now, ticket, chat, urgent))
    heapq.heapify(arrivals)
    asked: dict[int, float] = {}
    granted: dict[int, tuple[float, float]] = {}
    wake: float | None = None
    while arrivals or wake is not None:
        now = min(arrivals[0][0] if arrivals else float("inf"), wake or float("inf"))
        while arrivals and arrivals[0][0] <= now:
            at, ticket, chat, urgent = heapq.heappop(arrivals)
            asked[ticket] = at
            core.ask(ticket, chat, urgent=urgent)
        tickets, wake = core.step(now)
        for ticket in tickets:
            granted[ticket] = (asked[ticket], now)
    return granted


@settings(max_examples=200, deadline=None)
@given(plan=requests, rate=st.sampled_from([1, 3, 25, 30, 100, 1000]))
def test_no_window_holds_more_than_the_limit(
    plan: list[tuple[float, int, bool]], rate: int
) -> None:
    core = PacerCore(rate, overall_per_second=max(30, rate))
    granted = play(core, plan)
    assert len(granted) == len(plan)  # everyone gets a slot
    times = sorted(at for _, at in granted.values())
    for i, at in enumerate(times):
        in_window = [t for t in times[: i + 1] if t > at - WINDOW - MARGIN + 1e-9]
        assert len(in_window) <= core.limit
    assert all(at >= asked for asked, at in granted.values())


@settings(max_examples=200, deadline=None)
@given(plan=requests, rate=st.sampled_from([3, 30, 1000]))
def test_bulk_sends_are_evenly_spaced(plan: list[tuple[float, int, bool]], rate: int) -> None:
    bulk = [(gap, chat, False) for gap, chat, _ in plan]
    granted = play(PacerCore(rate), bulk)
    times = sorted(at for _, at in granted.values())
    # (a slot up to LATE late is made up by the next one)
    assert all(b - a >= 1 / rate - LATE - 1e-9 for a, b in itertools.pairwise(times))


@settings(max_examples=200, deadline=None)
@given(plan=requests)
def test_bulk_sends_one_message_a_second_per_chat(plan: list[tuple[float, int, bool]]) -> None:
    granted = play(PacerCore(1000), plan)
    by_chat: dict[int, list[tuple[float, bool]]] = {}
    for ticket, (_, at) in granted.items():
        _, chat, urgent = plan[ticket]
        by_chat.setdefault(chat, []).append((at, urgent))
    for sends in by_chat.values():
        sends.sort()
        # A bulk send never follows any send to its chat within the second.
        for (a, _), (b, urgent) in itertools.pairwise(sends):
            assert urgent or b - a >= PER_CHAT_INTERVAL - 1e-9


@settings(max_examples=100, deadline=None)
@given(plan=requests)
def test_a_waiting_reply_is_never_passed_by_a_bulk_send(
    plan: list[tuple[float, int, bool]],
) -> None:
    granted = play(PacerCore(30), plan)
    for ticket, (asked, at) in granted.items():
        if not plan[ticket][2]:
            continue
        overtaken = [
            t for t, (a, g) in granted.items() if not plan[t][2] and asked <= g < at and a <= asked
        ]
        assert not overtaken


def test_replies_cut_into_a_broadcast_at_once() -> None:
    core = PacerCore(30)
    plan = [(0.0, 1000 + n, False) for n in range(3000)]
    plan[1500] = (0.0, 1, True)  # a person answers while 3,000 bulk sends wait
    granted = play(core, plan)
    asked, at = granted[1500]
    assert at - asked <= 1 / 30 + 1e-9


def test_a_crowd_at_once_goes_out_at_the_full_rate() -> None:
    granted = play(PacerCore(1000), [(0.0, chat, False) for chat in range(3000)])
    last = max(at for _, at in granted.values())
    # 3,000 messages at 1,000 a second with the window's small margin: about three seconds.
    assert 2.9 <= last <= 3 * (WINDOW + MARGIN)


def test_after_a_pause_nobody_is_given_a_slot_before_it_ends() -> None:
    core = PacerCore(30)
    core.pause(5.0)
    core.ask(1, 1, urgent=True)
    core.ask(2, 2, urgent=False)
    assert core.step(0.0) == ([], 5.0)
    assert core.step(5.0)[0] == [1, 2]


async def test_the_pacer_grants_on_the_event_loop_in_priority_order() -> None:
    pacer = Pacer(2)  # two a second: the third and fourth wait
    order: list[str] = []

    async def send(name: str, urgent: bool) -> None:
        await pacer.wait(hash(name), urgent=urgent)
        order.append(name)

    await asyncio.wait_for(
        asyncio.gather(send("b1", False), send("b2", False), send("b3", False), send("r", True)),
        timeout=5,
    )
    assert order[:2] == ["b1", "r"]  # b1 went at once; the reply took the next slot
    assert sorted(order) == ["b1", "b2", "b3", "r"]
