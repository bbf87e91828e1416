"""The broadcasts' contract: who is in an audience, one row per recipient, state and progress."""

from __future__ import annotations

from datetime import timedelta

from store import broadcasts, outbox, participants, registrations, roles
from store.broadcasts import Broadcast, BroadcastStatus, Figures
from store.db import Store
from store.outbox import OutboxStatus
from store.registrations import Details
from tests.store.contract.conftest import T0, people

DUE = T0 + timedelta(hours=1)


async def make(store: Store, recipients: list[int], *, due: int = 60) -> Broadcast:
    return await broadcasts.create(
        store,
        created_by=None,
        audience="everyone",
        html="<b>Hello</b>",
        button=("Open", "https://example.org"),
        due_at=T0 + timedelta(minutes=due),
        recipients=recipients,
        now=T0,
        versions={"nl": "<b>Hallo</b>", "de": ""},
    )


async def seat(store: Store, person: int, session: str, capacity: int | None) -> None:
    await registrations.register(
        store,
        participant_id=person,
        session_id=session,
        capacity=capacity,
        details=Details(name="P", email=f"p{person}@example.org"),
        now=T0 + timedelta(seconds=person),
    )


async def test_audiences_hold_active_participants_never_staff_oldest_first(store: Store) -> None:
    await people(store, 1, 2, 3, 4, 5, 6)
    await people(store, 7, language="nl")
    await seat(store, 2, "s1", 1)
    await seat(store, 3, "s1", 1)  # waitlisted
    await seat(store, 4, "s2", None)
    await participants.mark_blocked(store, 5)
    await roles.grant(store, 6, roles.Role.FACILITATOR, None, T0)

    async def ids(audience: str, staff: tuple[int, ...] = ()) -> list[int]:
        return await broadcasts.audience_ids(store, audience, staff=staff, reflections=())

    assert await ids("everyone") == [1, 2, 3, 4, 7]
    assert await ids("everyone", staff=(1,)) == [2, 3, 4, 7]
    assert await ids("registered") == [2, 4]
    assert await ids("waitlisted") == [3]
    assert await ids("unregistered") == [1, 7]
    assert await ids("session_s1") == [2, 3]
    assert await ids("lang_nl") == [7]


async def test_a_broadcast_is_stored_with_one_pending_row_per_recipient(store: Store) -> None:
    await people(store, 1, 2, 3)
    made = await make(store, [1, 3])
    found = await broadcasts.get(store, made.id)
    assert found == made
    assert (made.status, made.total, made.due_at) == (BroadcastStatus.SCHEDULED, 2, DUE)
    assert (made.button_label, made.button_url) == ("Open", "https://example.org")
    assert (made.html_for("nl"), made.html_for("de"), made.html_for(None)) == (
        "<b>Hallo</b>",
        "<b>Hello</b>",
        "<b>Hello</b>",
    )
    rows = await outbox.pending_with_prefix(store, made.prefix)
    assert [(r.participant_id, r.kind, r.due_at) for r in rows] == [
        (1, "broadcast", DUE),
        (3, "broadcast", DUE),
    ]
    assert await broadcasts.figures(store, made) == Figures(0, 0, 0, 0, 2)


async def test_pausing_parks_the_rows_resuming_makes_them_due_cancelling_ends_them(
    store: Store,
) -> None:
    await people(store, 1, 2, 3)
    made = await make(store, [1, 2, 3], due=0)
    [first] = await outbox.claim_due(store, T0, limit=1)
    await outbox.mark_sent(store, [(first.id, T0)])
    await broadcasts.set_status(store, made, BroadcastStatus.PAUSED, T0)
    assert await outbox.claim_due(store, T0 + timedelta(days=30)) == []
    resumed_at = T0 + timedelta(hours=2)
    await broadcasts.set_status(store, made, BroadcastStatus.SENDING, resumed_at)
    assert [r.due_at for r in await outbox.pending_with_prefix(store, made.prefix)] == [
        resumed_at,
        resumed_at,
    ]
    await broadcasts.set_status(store, made, BroadcastStatus.CANCELLED, resumed_at)
    assert await broadcasts.figures(store, made) == Figures(1, 0, 0, 2, 0)
    stored = await broadcasts.get(store, made.id)
    assert stored is not None
    assert stored.status is BroadcastStatus.CANCELLED
    assert await broadcasts.unfinished(store) == []


async def test_progress_counts_sent_failed_blocked_and_what_remains(store: Store) -> None:
    await people(store, 1, 2, 3, 4, 5)
    made = await make(store, [1, 2, 3, 4, 5], due=0)
    one, two, three, four = await outbox.claim_due(store, T0, limit=4)
    await outbox.mark_sent(store, [(one.id, T0), (two.id, T0)])
    await outbox.mark(store, three.id, OutboxStatus.FAILED, error="Forbidden: bot was blocked")
    await outbox.mark(store, four.id, OutboxStatus.FAILED, error="BadRequest: chat not found")
    assert await broadcasts.figures(store, made) == Figures(
        sent=2, failed=1, blocked=1, cancelled=0, remaining=1
    )
    await broadcasts.set_progress_message(store, made.id, 1, 555)
    stored = await broadcasts.get(store, made.id)
    assert stored is not None
    assert (stored.progress_chat, stored.progress_message) == (1, 555)


async def test_the_recent_come_newest_first_and_the_unfinished_in_order(store: Store) -> None:
    await people(store, 1)
    first, second, third = [await make(store, [1]) for _ in range(3)]
    await broadcasts.set_status(store, second, BroadcastStatus.DONE, T0)
    assert [b.id for b in await broadcasts.recent(store, limit=2)] == [third.id, second.id]
    assert [b.id for b in await broadcasts.unfinished(store)] == [first.id, third.id]
    assert await broadcasts.get(store, third.id + 1) is None
