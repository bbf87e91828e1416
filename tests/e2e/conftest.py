"""End-to-end fixtures: the local Bot API server and the real bot polling it over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.base.clock import ManualClock
from bot.base.settings import Settings
from bot.sandbox.harness import Sandbox

# A weekday morning in Amsterdam (10:00): daytime, before the shipped session.
MORNING = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    """The bot's clock: tests move it instead of sleeping."""
    return ManualClock(MORNING)


@pytest.fixture
async def tg(settings: Settings, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Sandbox]:
    """A running sandbox: `alex = tg.person("Alex"); alex.send("/start")`."""
    async with Sandbox(settings, tmp_path / "e2e.sqlite3", clock=clock, poll_timeout=1) as sandbox:
        yield sandbox
