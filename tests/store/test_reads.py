"""A read sees only what is committed; the writer sees its own writes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from store.db import Store


class Undone(Exception):
    pass


async def names(store: Store) -> list[str]:
    return [
        row["action"] for row in await store.fetch_all("SELECT action FROM audit_log ORDER BY id")
    ]


async def add(store: Store, action: str) -> None:
    await store.execute(
        "INSERT INTO audit_log (at, action) VALUES ('2026-01-01T00:00:00+00:00', ?)", (action,)
    )


@pytest.mark.parametrize("unit", ["transaction", "turn"])
async def test_a_read_elsewhere_never_sees_an_open_transaction(
    where: Path | str, unit: str
) -> None:
    async with Store(where) as store:
        written, release = asyncio.Event(), asyncio.Event()
        seen_inside: list[str] = []

        async def writer() -> None:
            opened = store.transaction() if unit == "transaction" else store.turn()
            async with opened:
                await add(store, "maybe")
                seen_inside.extend(await names(store))  # its own write, not yet committed
                written.set()
                await release.wait()
                raise Undone

        task = asyncio.create_task(writer())
        await asyncio.wait_for(written.wait(), 5)
        seen_outside = await names(store)
        release.set()
        with pytest.raises(Undone):
            await task
        assert seen_inside == ["maybe"]
        assert seen_outside == []
        assert await names(store) == []
        await add(store, "kept")
        assert await names(store) == ["kept"]  # a commit is seen at once


async def test_a_task_started_inside_a_transaction_reads_what_is_committed(
    where: Path | str,
) -> None:
    async with Store(where) as store:
        async with store.transaction():
            await add(store, "pending")
            child = await asyncio.create_task(names(store))
            own = await names(store)
        assert (child, own) == ([], ["pending"])
        assert await names(store) == ["pending"]


async def test_a_paused_turn_reads_like_everyone_else(where: Path | str) -> None:
    async with Store(where) as store, store.turn():
        await add(store, "first")
        async with store.paused():
            assert await names(store) == ["first"]  # committed by the pause
            await add(store, "meanwhile")
        await add(store, "second")
        assert await names(store) == ["first", "meanwhile", "second"]


# SQLite only, as the rest of this file: its pragma, its files and its WAL.
async def test_both_connections_overwrite_what_is_deleted(tmp_path: Path) -> None:
    async with Store(tmp_path / "r.sqlite3") as store:
        reader = await store.fetch_one("PRAGMA secure_delete")  # outside: the read connection
        async with store.transaction() as tx:  # inside: the write connection
            writer = await tx.fetch_one("PRAGMA secure_delete")
        assert reader is not None
        assert writer is not None
        assert (reader[0], writer[0]) == (1, 1)


def test_an_erase_cut_short_by_a_crash_leaves_nothing_once_the_bot_starts(
    tmp_path: Path,
) -> None:
    db = tmp_path / "c.sqlite3"

    async def start() -> list[str]:
        async with Store(db):  # while the bot runs, not only once it has closed it
            return [p.name for p in tmp_path.iterdir() if b"Quibblethwaite" in p.read_bytes()]

    asyncio.run(start())  # the schema
    crashed = textwrap.dedent(f"""
        import os, sqlite3
        conn = sqlite3.connect({str(db)!r}, isolation_level=None)
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("INSERT INTO audit_log (at, action) VALUES ('t', 'Quibblethwaite')")
        conn.execute("DELETE FROM audit_log")
        os._exit(0)  # dies before any checkpoint: the WAL keeps the old page
    """)
    subprocess.run([sys.executable, "-c", crashed], check=True)
    wal = db.with_name(db.name + "-wal")
    assert b"Quibblethwaite" in wal.read_bytes()
    assert asyncio.run(start()) == []


async def test_what_is_deleted_soon_after_an_erase_leaves_no_copy_either(tmp_path: Path) -> None:
    """An organiser's reply quoting the person was in flight at the erase: once it is
    delivered (its row deleted), no copy of it stays in the files."""
    db = tmp_path / "w.sqlite3"

    def holding() -> list[str]:
        return [p.name for p in tmp_path.iterdir() if b"Quibblethwaite" in p.read_bytes()]

    async with Store(db) as store:
        await add(store, "Quibblethwaite in flight")
        async with store.transaction() as conn:
            store.scrub_after_commit()
            await conn.execute("DELETE FROM audit_log WHERE action = 'nobody'")
        assert holding()  # the reply is still owed: it is there, and may be
        await store.execute("DELETE FROM audit_log")  # …delivered and deleted
        assert holding() == []
