"""The inbox's contract: each update stored once, in order, handled with its turn, or parked."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from store import inbox
from store.db import Store
from store.inbox import InboxStatus, Incoming
from tests.store.contract.conftest import T0


def update(update_id: int, person: int, text: str = "hi") -> Incoming:
    return Incoming(update_id, person, {"update_id": update_id, "message": {"text": text}})


async def test_an_update_id_is_stored_once_whatever_became_of_it(store: Store) -> None:
    assert await inbox.receive(store, [update(1, 7), update(2, 8)], T0) == [1, 2]
    assert await inbox.receive(store, [update(2, 8), update(3, 7)], T0) == [3]
    async with store.turn():
        assert await inbox.mark_handled(store, 1, T0) is True
    assert await inbox.receive(store, [update(1, 7, "again")], T0) == []  # a redelivery
    assert [i.update_id for i in await inbox.pending(store)] == [2, 3]
    assert await inbox.counts(store) == {InboxStatus.HANDLED: 1, InboxStatus.PENDING: 2}


async def test_pending_updates_come_oldest_first_and_in_order_for_each_person(store: Store) -> None:
    await inbox.receive(store, [update(12, 7, "b"), update(10, 7, "a"), update(11, 8, "x")], T0)
    await inbox.receive(store, [update(13, 7, "c")], T0 + timedelta(seconds=1))
    pending = await inbox.pending(store)
    assert [i.update_id for i in pending] == [10, 11, 12, 13]
    theirs = [i.payload["message"]["text"] for i in pending if i.person == 7 and i.payload]
    assert theirs == ["a", "b", "c"]


async def test_a_handled_update_is_no_longer_pending_and_is_handled_once(store: Store) -> None:
    await inbox.receive(store, [update(1, 7, "my secret")], T0)
    assert await inbox.is_pending(store, 1) is True
    async with store.turn():
        assert await inbox.mark_handled(store, 1, T0) is True
    assert await inbox.is_pending(store, 1) is False
    assert await inbox.mark_handled(store, 1, T0) is False
    assert await inbox.pending(store) == []
    assert await inbox.counts(store) == {InboxStatus.HANDLED: 1}


async def test_a_turn_that_fails_leaves_its_update_pending(store: Store) -> None:
    await inbox.receive(store, [update(1, 7)], T0)
    with contextlib.suppress(RuntimeError):
        async with store.turn():
            await inbox.mark_handled(store, 1, T0)
            raise RuntimeError("the handler failed after the mark")
    assert [i.update_id for i in await inbox.pending(store)] == [1]


async def test_a_parked_update_keeps_its_error_and_lets_the_next_ones_go(store: Store) -> None:
    await inbox.receive(store, [update(1, 7), update(2, 7)], T0)
    await inbox.park(store, 1, 3, "E" * 900, T0)
    [parked] = await inbox.parked(store)
    assert (parked.update_id, parked.status, parked.attempts) == (1, InboxStatus.PARKED, 3)
    assert parked.last_error == "E" * 500
    assert [i.update_id for i in await inbox.pending(store)] == [2]
    assert await inbox.mark_handled(store, 1, T0) is False  # parked is not pending
    assert await inbox.receive(store, [update(1, 7)], T0) == []


async def test_old_handled_ids_are_purged_and_a_person_is_forgotten_whole(store: Store) -> None:
    await inbox.receive(store, [update(1, 7), update(2, 7), update(3, 8)], T0)
    await inbox.mark_handled(store, 1, T0)
    await inbox.mark_handled(store, 3, T0 + timedelta(days=2))
    assert await inbox.purge_handled(store, T0 + timedelta(days=1)) == 1
    assert await inbox.receive(store, [update(1, 7)], T0) == [1]  # forgotten: new again
    assert await inbox.forget(store, 7) == 2
    assert await inbox.counts(store) == {InboxStatus.HANDLED: 1}
