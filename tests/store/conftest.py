"""The store's tests on either database: `where` is this test's database on each backend."""

from __future__ import annotations

from pathlib import Path

import pytest

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(params=BACKENDS)
def where(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """What `Store(where)` opens: a SQLite file in the test's folder, or a new empty
    PostgreSQL database (the same one each time, so a test can open it again)."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return tmp_path / "store.sqlite3"
