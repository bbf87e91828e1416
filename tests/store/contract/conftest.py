"""The backends the contract tests run against: one entry in BACKENDS per database.

Each contract test takes the `store` fixture and runs once per backend, through the
store's public functions only: SQLite in the test's folder, and PostgreSQL in a new
database of the test process's own server (tests/postgres_server.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from store import participants
from store.db import Store

# A backend: given the test's own folder, open its database (the same one each time
# it is called with that folder, so a test can close it and open it again).
Backend = Callable[[Path], AbstractAsyncContextManager[Store]]

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@asynccontextmanager
async def _sqlite(place: Path) -> AsyncIterator[Store]:
    async with Store(place / "contract.sqlite3") as store:
        yield store


BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Callable[[], AbstractAsyncContextManager[Store]]:
    """Opens this test's database (again): what a restarted process does."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        return lambda: Store(url)
    return lambda: _sqlite(tmp_path)


@pytest.fixture
async def store(
    backend: Callable[[], AbstractAsyncContextManager[Store]],
) -> AsyncIterator[Store]:
    async with backend() as opened:
        yield opened


async def people(store: Store, *ids: int, language: str = "en") -> None:
    """Participants who wrote to the bot, in the order of their ids (a second apart)."""
    for telegram_id in ids:
        await participants.seen(
            store,
            telegram_id=telegram_id,
            chat_id=telegram_id,
            first_name=f"Person {telegram_id}",
            last_name=None,
            username=None,
            language=language,
            now=T0 + timedelta(seconds=telegram_id),
        )
