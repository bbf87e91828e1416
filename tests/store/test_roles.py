"""Invites are only as good as their maker: revoking an organiser voids what they left behind."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from store.db import Store
from store.roles import (
    Refusal,
    Revocation,
    Role,
    create_invite,
    grant,
    revoke,
    roles_of,
    use_invite,
)

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
DAY = timedelta(days=2)
ALEX, BEA, CAS = 9100001, 9100002, 9100003  # Alex is an organiser by settings.toml
SETTINGS = (ALEX,)


@pytest.fixture
async def store(where: Path | str) -> AsyncIterator[Store]:
    """Each test on SQLite and on PostgreSQL."""
    async with Store(where) as opened:
        yield opened


async def invited_organiser_with_an_invite(store: Store) -> None:
    """Alex invites Bea as organiser; Bea uses it and makes an organiser invite of her own."""
    await create_invite(store, "alex-1", Role.ORGANISER, ALEX, NOW, NOW + DAY)
    assert await use_invite(store, "alex-1", BEA, NOW, makers=SETTINGS) is Role.ORGANISER
    await create_invite(store, "bea-1", Role.ORGANISER, BEA, NOW, NOW + DAY)
    await create_invite(store, "bea-2", Role.FACILITATOR, BEA, NOW, NOW + DAY)


async def voided_at(store: Store, token: str) -> str | None:
    row = await store.fetch_one("SELECT voided_at FROM invites WHERE token = ?", (token,))
    assert row is not None
    return row["voided_at"]  # type: ignore[no-any-return]


async def test_revoking_an_organiser_voids_every_invite_they_made_that_nobody_used(
    store: Store,
) -> None:
    await invited_organiser_with_an_invite(store)
    await create_invite(store, "bea-used", Role.FACILITATOR, BEA, NOW, NOW + DAY)
    assert await use_invite(store, "bea-used", CAS, NOW, makers=SETTINGS) is Role.FACILITATOR

    revocation = await revoke(store, BEA, Role.ORGANISER, LATER, makers=SETTINGS)

    assert revocation == Revocation(revoked=True, voided=2)
    assert await voided_at(store, "bea-1") is not None
    assert await voided_at(store, "bea-2") is not None
    assert await voided_at(store, "bea-used") is None  # spent before: what it gave stays
    assert await roles_of(store, CAS) == {Role.FACILITATOR}


async def test_a_revoked_organiser_opening_their_own_invite_gets_no_role(store: Store) -> None:
    await invited_organiser_with_an_invite(store)
    await revoke(store, BEA, Role.ORGANISER, LATER, makers=SETTINGS)

    assert await use_invite(store, "bea-1", BEA, LATER, makers=SETTINGS) is Refusal.VOID
    assert await use_invite(store, "bea-1", CAS, LATER, makers=SETTINGS) is Refusal.VOID
    assert await use_invite(store, "bea-2", CAS, LATER, makers=SETTINGS) is Refusal.VOID
    assert await roles_of(store, BEA) == set()
    assert await roles_of(store, CAS) == set()


async def test_the_invite_a_revoked_organiser_used_never_grants_again(store: Store) -> None:
    await invited_organiser_with_an_invite(store)
    await revoke(store, BEA, Role.ORGANISER, LATER, makers=SETTINGS)

    assert await use_invite(store, "alex-1", BEA, LATER, makers=SETTINGS) is Refusal.USED
    assert await roles_of(store, BEA) == set()


async def test_a_used_invite_stays_used_when_its_user_is_forgotten(store: Store) -> None:
    await invited_organiser_with_an_invite(store)
    await store.execute("UPDATE invites SET used_by = NULL WHERE used_by = ?", (BEA,))

    assert await use_invite(store, "alex-1", CAS, LATER, makers=SETTINGS) is Refusal.USED
    assert await roles_of(store, CAS) == set()


async def test_an_invite_whose_maker_was_forgotten_grants_nothing(store: Store) -> None:
    await invited_organiser_with_an_invite(store)
    # What /forget leaves: the maker's roles gone and the invite tied to nobody (0).
    await store.execute("DELETE FROM roles WHERE telegram_id = ?", (BEA,))
    await store.execute("UPDATE invites SET created_by = 0 WHERE created_by = ?", (BEA,))

    assert await use_invite(store, "bea-1", CAS, LATER, makers=SETTINGS) is Refusal.VOID
    assert await voided_at(store, "bea-1") is not None
    assert await roles_of(store, CAS) == set()


async def test_an_invite_from_an_organiser_taken_out_of_the_settings_is_void(
    store: Store,
) -> None:
    await create_invite(store, "alex-2", Role.FACILITATOR, ALEX, NOW, NOW + DAY)

    assert await use_invite(store, "alex-2", CAS, LATER, makers=()) is Refusal.VOID
    assert await use_invite(store, "alex-2", CAS, LATER, makers=SETTINGS) is Refusal.VOID
    assert await roles_of(store, CAS) == set()


async def test_revoking_another_role_keeps_the_invites_of_someone_still_an_organiser(
    store: Store,
) -> None:
    await invited_organiser_with_an_invite(store)
    await grant(store, BEA, Role.FACILITATOR, ALEX, NOW)
    await create_invite(store, "alex-3", Role.FACILITATOR, ALEX, NOW, NOW + DAY)

    assert await revoke(store, BEA, Role.FACILITATOR, LATER, makers=SETTINGS) == Revocation(
        revoked=True, voided=0
    )
    # Alex is an organiser by settings.toml: a revoke there changes nothing it can see.
    assert await revoke(store, ALEX, Role.ORGANISER, LATER, makers=SETTINGS) == Revocation(
        revoked=False, voided=0
    )
    assert await use_invite(store, "bea-1", CAS, LATER, makers=SETTINGS) is Role.ORGANISER
    assert await use_invite(store, "alex-3", CAS, LATER, makers=SETTINGS) is Role.FACILITATOR


async def test_invites_are_refused_for_what_is_wrong_with_them(store: Store) -> None:
    await invited_organiser_with_an_invite(store)

    assert await use_invite(store, "nope", CAS, LATER, makers=SETTINGS) is Refusal.UNKNOWN
    assert await use_invite(store, "bea-1", CAS, NOW + DAY, makers=SETTINGS) is Refusal.EXPIRED
    assert await use_invite(store, "bea-1", CAS, LATER, makers=SETTINGS) is Role.ORGANISER
    assert await use_invite(store, "bea-1", CAS, LATER, makers=SETTINGS) is Refusal.USED
