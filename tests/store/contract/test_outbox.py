"""The outbox's contract: queue once per key, lease what is claimed, finish, retry, recover."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta

from store import outbox
from store.db import Store
from store.outbox import OutboxStatus
from tests.store.contract.conftest import T0, people

LEASE = timedelta(minutes=2)


async def queue(
    store: Store, key: str, *, person: int = 1, after: int = 0, kind: str = "drip"
) -> bool:
    return await outbox.enqueue(
        store,
        dedup_key=key,
        participant_id=person,
        kind=kind,
        due_at=T0 + timedelta(minutes=after),
        now=T0,
        payload={"key": key},
    )


async def stored(store: Store, person: int = 1) -> dict[str, tuple[OutboxStatus, int]]:
    """Key → (status, attempts) of everything owed to `person`, replies included."""
    rows = await outbox.for_participant(store, person, replies=True)
    return {row.dedup_key: (row.status, row.attempts) for row in rows}


async def test_a_key_is_queued_once_until_it_is_cancelled_and_never_again_once_sent(
    store: Store,
) -> None:
    await people(store, 1)
    assert await queue(store, "a") is True
    assert await queue(store, "a") is False  # pending already
    assert await queue(store, "b") is True
    await outbox.cancel_pending(store, 1)
    assert await stored(store) == {
        "a": (OutboxStatus.CANCELLED, 0),
        "b": (OutboxStatus.CANCELLED, 0),
    }
    assert await queue(store, "a") is True  # a withdrawn promise may be made again
    [item] = await outbox.claim_due(store, T0)
    await outbox.mark_sent(store, [(item.id, T0)])
    assert await queue(store, "a") is False  # …but a kept one is never made twice
    assert (await stored(store))["a"] == (OutboxStatus.SENT, 1)


async def test_replacing_a_kind_cancels_the_older_promises_of_that_kind_only(store: Store) -> None:
    await people(store, 1)
    await queue(store, "old", kind="nudge")
    await queue(store, "other", kind="drip")
    await outbox.enqueue(
        store, dedup_key="new", participant_id=1, kind="nudge", due_at=T0, now=T0, replace_kind=True
    )
    statuses = {key: status for key, (status, _) in (await stored(store)).items()}
    assert statuses == {
        "old": OutboxStatus.CANCELLED,
        "other": OutboxStatus.PENDING,
        "new": OutboxStatus.PENDING,
    }


async def test_a_claim_leases_the_due_rows_so_a_second_claim_does_not_get_them(
    store: Store,
) -> None:
    await people(store, 1)
    for key, after in (("late", 30), ("second", 1), ("first", 0), ("third", 2)):
        await queue(store, key, after=after)
    at = T0 + timedelta(minutes=5)
    claimed = await outbox.claim_due(store, at, lease=LEASE)
    assert [item.dedup_key for item in claimed] == ["first", "second", "third"]  # due order
    assert all(item.status is OutboxStatus.SENDING and item.attempts == 1 for item in claimed)
    assert await outbox.claim_due(store, at + LEASE - timedelta(seconds=1)) == []
    assert (await stored(store))["late"] == (OutboxStatus.PENDING, 0)
    # Its sender died: once the lease has run out the row is due again, one more attempt.
    again = await outbox.claim_due(store, at + LEASE + timedelta(seconds=1), lease=LEASE)
    assert [item.dedup_key for item in again] == ["first", "second", "third"]
    assert [item.attempts for item in again] == [2, 2, 2]


async def test_a_claim_takes_at_most_its_limit_and_the_next_claim_the_rest(store: Store) -> None:
    await people(store, 1)
    for n in range(5):
        await queue(store, f"k{n}", after=n)
    first = await outbox.claim_due(store, T0 + timedelta(hours=1), limit=3)
    rest = await outbox.claim_due(store, T0 + timedelta(hours=1), limit=3)
    assert [i.dedup_key for i in first] == ["k0", "k1", "k2"]
    assert [i.dedup_key for i in rest] == ["k3", "k4"]


async def test_concurrent_claims_never_hand_out_the_same_row_twice(store: Store) -> None:
    await people(store, 1)
    for n in range(40):
        await queue(store, f"k{n:02}")
    batches = await asyncio.gather(*(outbox.claim_due(store, T0, limit=7) for _ in range(8)))
    keys = [item.dedup_key for batch in batches for item in batch]
    assert sorted(keys) == [f"k{n:02}" for n in range(40)]  # every row once, none twice
    assert {status for status, _ in (await stored(store)).values()} == {OutboxStatus.SENDING}


async def test_a_reply_is_claimed_before_other_rows_once_its_sender_died(store: Store) -> None:
    await people(store, 1)
    await queue(store, "drip")  # due at T0
    reply = await outbox.enqueue_reply(
        store,
        dedup_key="reply:9",
        participant_id=1,
        chat_id=1,
        payload={"text": "hi"},
        now=T0 + timedelta(minutes=1),
        lease=LEASE,
    )
    assert (reply.status, reply.attempts) == (OutboxStatus.SENDING, 1)  # its sender has it
    assert [i.dedup_key for i in await outbox.claim_due(store, T0 + timedelta(minutes=2))] == [
        "drip"
    ]
    # Both senders died: the reply, which someone is waiting for, goes first.
    again = await outbox.claim_due(store, T0 + timedelta(minutes=10))
    assert [i.dedup_key for i in again] == ["reply:9", "drip"]
    assert [i.attempts for i in again] == [2, 2]


async def test_after_a_crash_the_rows_being_sent_are_pending_again(
    backend: Callable[[], AbstractAsyncContextManager[Store]],
) -> None:
    async with backend() as store:
        await people(store, 1)
        await queue(store, "a")
        await queue(store, "b")
        await queue(store, "later", after=60)
        assert len(await outbox.claim_due(store, T0, lease=timedelta(hours=1))) == 2
    async with backend() as store:  # the process died mid-send and starts again
        assert await outbox.recover_interrupted(store) == 2
        assert await stored(store) == {
            "a": (OutboxStatus.PENDING, 1),
            "b": (OutboxStatus.PENDING, 1),
            "later": (OutboxStatus.PENDING, 0),
        }
        # Sent again at once (at least once), not after the hour's lease.
        assert [i.dedup_key for i in await outbox.claim_due(store, T0)] == ["a", "b"]


async def test_a_delivered_row_is_sent_and_a_delivered_reply_leaves_no_row(store: Store) -> None:
    await people(store, 1)
    await queue(store, "drip")
    reply = await outbox.enqueue_reply(
        store, dedup_key="reply:1", participant_id=1, chat_id=1, payload={"t": "x"}, now=T0
    )
    [drip] = await outbox.claim_due(store, T0)
    done = T0 + timedelta(seconds=5)
    await outbox.mark_sent(store, [(drip.id, done), (reply.id, done)])
    [row] = await outbox.for_participant(store, 1, replies=True)
    assert (row.dedup_key, row.status, row.sent_at) == ("drip", OutboxStatus.SENT, done)
    assert await outbox.claim_due(store, T0 + timedelta(hours=1)) == []
    assert await outbox.next_due(store) is None


async def test_retry_later_waits_until_then_and_a_postponement_costs_no_attempt(
    store: Store,
) -> None:
    await people(store, 1)
    await queue(store, "a")
    await queue(store, "b")
    a, b = await outbox.claim_due(store, T0)
    later = T0 + timedelta(minutes=30)
    await outbox.retry_later(store, a.id, later, "NetworkError")
    await outbox.retry_later(store, b.id, later, "postponed", count_attempt=False)
    assert await stored(store) == {"a": (OutboxStatus.PENDING, 1), "b": (OutboxStatus.PENDING, 0)}
    assert await outbox.next_due(store) == later
    assert await outbox.claim_due(store, later - timedelta(seconds=1)) == []
    again = await outbox.claim_due(store, later)
    assert [(i.dedup_key, i.attempts, i.last_error) for i in again] == [
        ("a", 2, "NetworkError"),
        ("b", 1, "postponed"),
    ]


async def test_a_failed_reply_keeps_no_text_but_another_failed_row_keeps_its_payload(
    store: Store,
) -> None:
    await people(store, 1)
    await queue(store, "drip")
    reply = await outbox.enqueue_reply(
        store, dedup_key="reply:1", participant_id=1, chat_id=1, payload={"t": "typed"}, now=T0
    )
    [drip] = await outbox.claim_due(store, T0)
    for item in (drip, reply):
        await outbox.mark(store, item.id, OutboxStatus.FAILED, error="Forbidden: blocked")
    rows = {i.dedup_key: i for i in await outbox.for_participant(store, 1, replies=True)}
    assert rows["reply:1"].payload == {}
    assert rows["drip"].payload == {"key": "drip"}
    assert {i.status for i in rows.values()} == {OutboxStatus.FAILED}
    assert rows["drip"].last_error == "Forbidden: blocked"


async def test_cancelling_by_key_prefix_takes_an_underscore_literally(store: Store) -> None:
    await people(store, 1)
    for key in ("remind:s_1:1", "remind:sx1:1", "remind:s_10:1"):
        await queue(store, key)
    assert await outbox.cancel_keys(store, "remind:s_1:") == 1
    assert [i.dedup_key for i in await outbox.pending_with_prefix(store, "remind:s")] == [
        "remind:sx1:1",
        "remind:s_10:1",
    ]


async def test_taking_pending_rows_marks_them_sent_so_the_dispatcher_never_sends_them(
    store: Store,
) -> None:
    await people(store, 1, 2)
    await queue(store, "mine", kind="login")
    await queue(store, "drip", kind="drip")
    await queue(store, "theirs", person=2, kind="login")
    taken = await outbox.take_pending(store, 1, "login", T0)
    assert [i.dedup_key for i in taken] == ["mine"]
    assert [i.dedup_key for i in await outbox.claim_due(store, T0)] == ["drip", "theirs"]
    assert (await stored(store))["mine"] == (OutboxStatus.SENT, 0)


async def test_moving_a_pending_row_changes_when_it_is_due(store: Store) -> None:
    await people(store, 1)
    await queue(store, "a", after=5)
    [item] = await outbox.pending_with_prefix(store, "a")
    await outbox.move(store, item.id, T0 + timedelta(minutes=50))
    assert await outbox.next_due(store) == T0 + timedelta(minutes=50)
    assert await outbox.counts(store) == {OutboxStatus.PENDING: 1}
