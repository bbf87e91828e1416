"""Shared fixtures: settings from the shipped file, a store in a temporary folder."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.settings import Settings, load_settings
from store.db import Store

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's MOOC_BOT_* variables or .env file."""
    for name in list(os.environ):
        if name.startswith("MOOC_BOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def settings() -> Settings:
    return load_settings(ROOT / "settings.toml")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with Store(tmp_path / "test.sqlite3") as opened:
        yield opened
