"""Shared fixtures: settings from the shipped file, a store in a temporary folder,
a PostgreSQL server per test process and an empty database on it per test."""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.base.settings import Settings, load_settings
from store.db import Store
from tests.postgres_server import PostgresServer, run_sync

ROOT = Path(__file__).resolve().parent.parent


async def spawn_bot(
    *args: str, env: dict[str, str] | None = None, **options: Any
) -> asyncio.subprocess.Process:
    """`python -m bot ARGS` as a real process, with the shipped settings unless told otherwise."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env={**os.environ, **(env or {})},
        **{
            "cwd": ROOT,
            "stdout": asyncio.subprocess.PIPE,
            "stderr": asyncio.subprocess.PIPE,
            **options,
        },
    )


@asynccontextmanager
async def bot_running(
    api_url: str, token: str, db: Path | str, *, logs: bool = False, **env: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`mooc-bot run` against a local Bot API server; killed at the end if still up.
    With `logs`, its stderr is a pipe to read once it has ended."""
    process = await spawn_bot(
        "run",
        env={"MOOC_BOT_TOKEN": token, "MOOC_BOT_API_URL": api_url, "MOOC_BOT_DB": str(db), **env},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE if logs else asyncio.subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


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


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One server per test process: each xdist worker starts its own, in its own folder."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with PostgresServer(name=worker) as server:
        yield server


@pytest.fixture(scope="session")
def postgres_dsn(postgres_server: PostgresServer) -> str:
    """The URL of the server's maintenance database (postgres), for tests that make their own."""
    return postgres_server.dsn


_databases = itertools.count(1)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a new empty database, for this test alone; dropped afterwards."""
    name = f"test_{next(_databases)}"
    url = run_sync(postgres_server.create_database(name))
    yield url
    run_sync(postgres_server.drop_database(name))


# The longest tests (a minute or more, mostly waiting on Telegram's pace) start first, so
# that on two workers they run beside the many short ones instead of alone at the end.
LONGEST_FIRST = ("test_failover.py", "random_kills", "despite_429s", "through_kills")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not any(part in item.nodeid for part in LONGEST_FIRST))
