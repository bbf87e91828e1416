"""The store's errors are its own: a write against the schema's rules is NotAllowed, undone."""

from __future__ import annotations

import pytest

from store import registrations
from store.db import Store
from store.errors import NotAllowed, StoreError
from store.registrations import Details
from tests.store.contract.conftest import T0, people


async def test_registering_someone_the_store_does_not_know_is_not_allowed_and_leaves_nothing(
    store: Store,
) -> None:
    await people(store, 1)
    with pytest.raises(NotAllowed) as refused:
        await registrations.register(
            store,
            participant_id=99,  # never wrote to the bot
            session_id="s1",
            capacity=None,
            details=Details(name="Nobody", email="nobody@example.org"),
            now=T0,
        )
    assert isinstance(refused.value, StoreError)
    assert await registrations.for_session(store, "s1") == []
    assert await registrations.every_session_of_everyone(store) == []
