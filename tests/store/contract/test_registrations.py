"""The registrations' contract: seats never beyond capacity, the waitlist in order, promotion."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from store import registrations
from store.db import Store
from store.registrations import Details, Registration, RegistrationStatus
from tests.store.contract.conftest import T0, people

SEATED = RegistrationStatus.REGISTERED
WAITING = RegistrationStatus.WAITLISTED


def details(person: int, email: str = "") -> Details:
    return Details(name=f"Person {person}", email=email or f"p{person}@example.org")


async def confirm(
    store: Store, person: int, capacity: int | None, *, session: str = "s1", at: int = 0
) -> tuple[Registration, bool]:
    return await registrations.register(
        store,
        participant_id=person,
        session_id=session,
        capacity=capacity,
        details=details(person),
        now=T0 + timedelta(seconds=at),
    )


async def board(
    store: Store, session: str = "s1"
) -> list[tuple[int, RegistrationStatus, int | None]]:
    """(person, status, waitlist place) of everyone live, as stored, in the session's order."""
    return [
        (r.participant_id, r.status, r.position)
        for r in await registrations.for_session(store, session)
    ]


async def test_concurrent_confirmations_seat_exactly_the_capacity_and_queue_the_rest(
    store: Store,
) -> None:
    crowd = list(range(1, 13))
    await people(store, *crowd)
    results = await asyncio.gather(*(confirm(store, p, 4) for p in crowd))
    stored = await board(store)
    assert [status for _, status, _ in stored] == [SEATED] * 4 + [WAITING] * 8
    assert [place for _, _, place in stored] == [None] * 4 + list(range(1, 9))
    assert sorted(p for p, _, _ in stored) == crowd  # everyone once
    # What each confirmation was told is what was stored for them.
    told = {r.participant_id: (r.status, r.position) for r, created in results if created}
    assert told == {p: (status, place) for p, status, place in stored}
    counts = await registrations.counts(store, "s1")
    assert counts == {SEATED: 4, WAITING: 8}


async def test_the_waitlist_keeps_the_order_people_confirmed_in(store: Store) -> None:
    await people(store, 1, 2, 3, 4)
    for at, person in enumerate((3, 1, 4, 2)):
        await confirm(store, person, 1, at=at)
    assert await board(store) == [
        (3, SEATED, None),
        (1, WAITING, 1),
        (4, WAITING, 2),
        (2, WAITING, 3),
    ]
    assert [(r.session_id, r.position) for r in await registrations.live(store, 2)] == [("s1", 3)]


async def test_a_cancellation_gives_the_seat_to_the_first_on_the_waitlist(store: Store) -> None:
    await people(store, 1, 2, 3)
    for at, person in enumerate((1, 2, 3)):
        await confirm(store, person, 1, at=at)
    cancelled, promoted = await registrations.cancel(store, 1, "s1", 1, T0 + timedelta(hours=1))
    assert cancelled is not None
    assert cancelled.status is RegistrationStatus.CANCELLED
    assert [(r.participant_id, r.status) for r in promoted] == [(2, SEATED)]
    assert await board(store) == [(2, SEATED, None), (3, WAITING, 1)]
    assert await registrations.cancel(store, 1, "s1", 1, T0) == (None, [])  # nothing live


async def test_concurrent_cancellations_promote_one_person_per_freed_seat(store: Store) -> None:
    crowd = list(range(1, 9))
    await people(store, *crowd)
    for at, person in enumerate(crowd):
        await confirm(store, person, 3, at=at)
    later = T0 + timedelta(hours=1)
    outcomes = await asyncio.gather(
        *(registrations.cancel(store, p, "s1", 3, later) for p in (1, 2, 3))
    )
    promoted = sorted(r.participant_id for _, moved in outcomes for r in moved)
    assert promoted == [4, 5, 6]
    assert await board(store) == [
        (4, SEATED, None),
        (5, SEATED, None),
        (6, SEATED, None),
        (7, WAITING, 1),
        (8, WAITING, 2),
    ]


async def test_confirming_again_updates_the_details_and_keeps_the_place(store: Store) -> None:
    await people(store, 1, 2)
    await confirm(store, 1, 1)
    first, _ = await confirm(store, 2, 1, at=1)
    again, created = await registrations.register(
        store,
        participant_id=2,
        session_id="s1",
        capacity=1,
        details=details(2, "new@example.org"),
        now=T0 + timedelta(minutes=5),
    )
    assert created is False
    assert (again.id, again.status, again.position) == (first.id, WAITING, 1)
    [stored] = await registrations.live(store, 2)
    assert stored.details.email == "new@example.org"


async def test_more_capacity_moves_people_up_and_no_capacity_seats_everyone(store: Store) -> None:
    await people(store, 1, 2, 3, 4)
    for at, person in enumerate((1, 2, 3)):
        await confirm(store, person, 1, at=at)
    moved = await registrations.fill_free_places(store, "s1", 2, T0 + timedelta(hours=1))
    assert [r.participant_id for r in moved] == [2]
    assert await board(store) == [(1, SEATED, None), (2, SEATED, None), (3, WAITING, 1)]
    seat, _ = await confirm(store, 4, None, session="open")
    assert seat.status is SEATED


async def test_attendance_is_marked_by_address_in_any_case_for_seated_people_only(
    store: Store,
) -> None:
    await people(store, 1, 2)
    await confirm(store, 1, 1)
    await confirm(store, 2, 1, at=1)  # waitlisted: not seated, not marked
    newly, already, unknown = await registrations.mark_attended(
        store, "s1", {"P1@Example.org ", "p2@example.org", "nobody@example.org"}, T0
    )
    assert (newly, already, unknown) == (1, 0, {"p2@example.org", "nobody@example.org"})
    assert [s for _, s, _ in await board(store)] == [RegistrationStatus.ATTENDED, WAITING]
    assert await registrations.set_attended(store, 1, "s1", False, T0) is True
    assert await registrations.set_attended(store, 1, "s1", False, T0) is False
    assert [s for _, s, _ in await board(store)] == [SEATED, WAITING]
