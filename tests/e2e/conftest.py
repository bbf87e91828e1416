"""End-to-end fixtures: the local Bot API server and the real bot polling it over HTTP,
on SQLite (the default) or, for the tests marked `on_both_backends`, on PostgreSQL too."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.base.clock import ManualClock
from bot.base.settings import Settings
from bot.sandbox.harness import Sandbox

# A weekday morning in Amsterdam (10:00): daytime, before the shipped session.
MORNING = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

BACKENDS = ("sqlite", "postgresql")
# `@on_both_backends`: the test runs twice, its bot on SQLite and on PostgreSQL.
on_both_backends = pytest.mark.parametrize("backend", BACKENDS, indirect=True)

# Where a test's bot keeps its data: given the SQLite file's name, that file in the
# test's folder, or (on PostgreSQL) the URL of the test's own new database.
Database = Callable[[str], Path | str]


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The database the test's bot runs on: "sqlite" unless the test is parametrised."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Database:
    """`db = database("crash.sqlite3")`: what Store, Sandbox and MOOC_BOT_DB are given."""
    if backend == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        return lambda _name: url
    return lambda name: tmp_path / name


@pytest.fixture
def clock() -> ManualClock:
    """The bot's clock: tests move it instead of sleeping."""
    return ManualClock(MORNING)


@pytest.fixture
async def tg(settings: Settings, database: Database, clock: ManualClock) -> AsyncIterator[Sandbox]:
    """A running sandbox: `alex = tg.person("Alex"); alex.send("/start")`."""
    async with Sandbox(settings, database("e2e.sqlite3"), clock=clock, poll_timeout=1) as sandbox:
        yield sandbox
