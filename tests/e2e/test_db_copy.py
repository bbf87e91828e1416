"""`mooc-bot db copy --to postgresql://…` as an organiser runs it: counts, then a refusal."""

from __future__ import annotations

import asyncio
from pathlib import Path

from store import participants
from store.db import Store
from tests.conftest import spawn_bot
from tests.store.test_copy import fill

SECRET = "s3cret-pw"  # the test server trusts its socket: the password is never checked


def with_password(url: str) -> str:
    return url.replace("postgresql://postgres@", f"postgresql://postgres:{SECRET}@", 1)


async def mooc_bot(*args: str, database: Path) -> tuple[int, str, str]:
    process = await spawn_bot(*args, env={"MOOC_BOT_DB": str(database)})
    async with asyncio.timeout(120):
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_db_copy_prints_the_counts_and_a_second_run_is_refused(
    tmp_path: Path, postgres_url: str
) -> None:
    database = tmp_path / "bot.sqlite3"
    async with Store(database) as store:
        await fill(store)
    target = with_password(postgres_url)

    code, out, err = await mooc_bot("db", "copy", "--to", target, database=database)

    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "participants: 6 rows"
    assert "answers: 6 rows" in lines
    assert "mooc_logins: 4 rows" in lines
    assert "broadcasts: 1 row" in lines
    assert len(lines) == 17
    assert lines[-1].startswith(f"copied {sum(int(line.split()[1]) for line in lines[:-1])} rows")
    assert lines[-1].endswith("the counts match")
    assert "postgres:***@" in lines[-1]
    assert SECRET not in out + err
    async with Store(postgres_url) as copied:
        assert await participants.count(copied) == 6

    code, out, err = await mooc_bot("db", "copy", "--to", target, database=database)

    assert code == 2
    assert out == ""
    assert err.strip() == (
        "error: the PostgreSQL database already holds data (participants: 6 rows); "
        "copy only into an empty one"
    )
    assert SECRET not in err


async def test_db_copy_refuses_a_missing_sqlite_file(tmp_path: Path, postgres_url: str) -> None:
    missing = tmp_path / "nowhere.sqlite3"

    code, out, err = await mooc_bot("db", "copy", "--to", postgres_url, database=missing)

    assert (code, out) == (2, "")
    assert err.strip() == f"error: {missing}: no database there"
    assert not missing.exists()
