"""End-to-end fixtures: the local Bot API server and the real bot polling it over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.harness import Sandbox
from bot.settings import Settings


@pytest.fixture
async def tg(settings: Settings, tmp_path: Path) -> AsyncIterator[Sandbox]:
    """A running sandbox: `alex = tg.person("Alex"); alex.send("/start")`."""
    async with Sandbox(settings, tmp_path / "e2e.sqlite3", poll_timeout=1) as sandbox:
        yield sandbox
