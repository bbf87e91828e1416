"""Every table that keeps a person's Telegram id is known to /mydata and /forget."""

from __future__ import annotations

from pathlib import Path

from store.db import Store
from store.privacy import PERSONAL

PERSON_COLUMNS = {"participant_id", "telegram_id", "actor_id", "used_by", "person"}


async def test_every_column_that_names_a_person_is_listed(tmp_path: Path) -> None:
    async with Store(tmp_path / "p.sqlite3") as store:
        tables = [
            row["name"]
            for row in await store.fetch_all(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        naming = set()
        for table in tables:
            for column in await store.fetch_all(f"PRAGMA table_info({table})"):
                if column["name"] in PERSON_COLUMNS:
                    naming.add((table, column["name"]))
    assert naming == set(PERSONAL)
