"""The PostgreSQL server the tests start: its version, and the locks issue 20 stands on."""

from __future__ import annotations

import asyncio
import json
import os
import select
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import ROOT
from tests.postgres_server import PostgresServer, bundled_bindir


@asynccontextmanager
async def connected(url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(url)
    try:
        yield connection
    finally:
        if not connection.is_closed():
            await connection.close()


async def test_the_installed_server_is_postgresql_16_or_later(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    async with connected(postgres_url) as connection:
        version = await connection.fetchval("SELECT version()")
        number = int(await connection.fetchval("SHOW server_version_num"))
        data_directory = await connection.fetchval("SHOW data_directory")
    assert version.startswith("PostgreSQL "), version
    assert number >= 160000, version
    assert Path(data_directory) == postgres_server.data  # ours, not some other server
    binary = subprocess.run(
        [postgres_server.bindir / "postgres", "--version"], capture_output=True, text=True
    )
    assert binary.stdout.split()[-1] == version.split()[1]  # and run from its bin folder
    if postgres_server.bindir == bundled_bindir():  # unless MOOC_BOT_PG_BINDIR said otherwise
        assert number // 10000 == 18, version


@pytest.mark.parametrize("run", [1, 2])
async def test_each_test_has_a_new_empty_database(postgres_url: str, run: int) -> None:
    """Both runs leave a table behind: the second must not see the first's."""
    async with connected(postgres_url) as connection:
        name = await connection.fetchval("SELECT current_database()")
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        )
        await connection.execute("CREATE TABLE left_behind (run int)")
    assert name != "postgres"
    assert tables == []


async def test_skip_locked_gives_two_claimers_disjoint_rows(postgres_url: str) -> None:
    async with connected(postgres_url) as setup:
        await setup.execute("CREATE TABLE outbox (id int PRIMARY KEY, body text NOT NULL)")
        await setup.executemany(
            "INSERT INTO outbox VALUES ($1, $2)", [(n, f"message {n}") for n in range(1, 11)]
        )
    both_hold_their_locks = asyncio.Barrier(2)

    async def claim() -> list[int]:
        async with connected(postgres_url) as connection:
            # without SKIP LOCKED the second claimer would wait on the first: fail, not hang
            await connection.execute("SET lock_timeout = '5s'")
            async with connection.transaction():
                rows = await connection.fetch(
                    "SELECT id FROM outbox ORDER BY id LIMIT 5 FOR UPDATE SKIP LOCKED"
                )
                await asyncio.wait_for(both_hold_their_locks.wait(), 10)
                return [row["id"] for row in rows]

    first, second = await asyncio.gather(claim(), claim())
    assert len(first) == len(second) == 5
    assert not set(first) & set(second)
    assert set(first) | set(second) == set(range(1, 11))


@pytest.mark.parametrize("ending", ["close", "terminate"])
async def test_an_advisory_lock_has_one_holder_and_passes_on(
    postgres_url: str, ending: str
) -> None:
    """A leader holds the lock; a standby takes it over once the leader's connection ends,
    whether closed cleanly or dropped (terminate: the socket shut, as when a process dies)."""
    leader_key = 20
    take = "SELECT pg_try_advisory_lock($1)"
    async with (
        connected(postgres_url) as leader,
        connected(postgres_url) as standby,
        connected(postgres_url) as other,
    ):
        assert await leader.fetchval(take, leader_key) is True
        assert await standby.fetchval(take, leader_key) is False
        assert await other.fetchval(take, leader_key) is False
        assert await leader.fetchval(take, leader_key + 1) is True  # another key: free
        if ending == "close":
            await leader.close()
        else:
            leader.terminate()
        # the server lets go when the leader's backend has ended: wait for that, no sleep
        await standby.execute("SET lock_timeout = '10s'")
        await standby.execute("SELECT pg_advisory_lock($1)", leader_key)
        assert await other.fetchval(take, leader_key) is False
        holders = await other.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND granted",
            leader_key,
        )
        assert holders == 1


CHILD = """
import asyncio, json, sys
import asyncpg
from tests.postgres_server import PostgresServer

async def backend_pid(url):
    connection = await asyncpg.connect(url)
    return connection, await connection.fetchval("SELECT pg_backend_pid()")

server = PostgresServer(name="orphan").start()
connection, backend = asyncio.run(backend_pid(server.dsn))
print(json.dumps({"postmaster": server.pid, "backend": backend, "base": str(server.base)}))
sys.stdout.flush()
sys.stdin.read()  # until killed
"""


def wait_gone(pid: int, timeout: float) -> bool:
    """Waits for the process to end, on its pidfd (no polling); True once it has."""
    try:
        descriptor = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        poller = select.poll()
        poller.register(descriptor, select.POLLIN)
        return bool(poller.poll(timeout * 1000))
    finally:
        os.close(descriptor)


def test_a_killed_test_process_leaves_no_postgres_behind() -> None:
    base, postmaster = None, None
    with subprocess.Popen(
        [sys.executable, "-c", CHILD],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        try:
            assert child.stdout is not None
            started = json.loads(child.stdout.readline())
            base = Path(started["base"])
            postmaster, backend = started["postmaster"], started["backend"]
            assert Path(f"/proc/{postmaster}").exists()
            assert Path(f"/proc/{backend}").exists()
            child.send_signal(signal.SIGKILL)
            child.wait(10)
            assert wait_gone(postmaster, 10), "the postmaster outlived the process that started it"
            assert wait_gone(backend, 10), "a backend outlived its postmaster"
        finally:
            if child.poll() is None:
                child.kill()
            if postmaster is not None and not wait_gone(postmaster, 0):
                os.kill(postmaster, signal.SIGKILL)  # the test failed: leave no server running
            if base is not None:
                shutil.rmtree(base, ignore_errors=True)
