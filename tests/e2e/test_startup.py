"""`mooc-bot run` meeting a start-up problem says it in one line and exits with status 2,
never a traceback: a database it cannot write, a Bot API it cannot reach (after trying
again for a while), a token the Bot API refuses, a port it cannot listen on. A Bot API
that comes up while the bot is still trying is simply used."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from pathlib import Path

import pytest

from bot.sandbox import BotApiServer, Person
from tests.conftest import spawn_bot
from tests.e2e.test_production import TOKEN, free_port, webhook_env


async def run_bot(
    api_url: str, db: Path, *args: str, timeout: float = 60, **env: str
) -> tuple[int, str]:
    """`mooc-bot run ARGS` until it ends by itself: its exit status and all it printed."""
    process = await spawn_bot(
        "run",
        *args,
        env={"MOOC_BOT_TOKEN": TOKEN, "MOOC_BOT_API_URL": api_url, "MOOC_BOT_DB": str(db), **env},
    )
    try:
        async with asyncio.timeout(timeout):
            out, err = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, out.decode() + err.decode()


def one_line(output: str) -> str:
    assert "Traceback" not in output
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    return lines[0]


async def test_a_database_path_that_is_a_folder_is_one_line_and_status_2(tmp_path: Path) -> None:
    async with BotApiServer(TOKEN) as server:
        code, output = await run_bot(server.url, tmp_path)
    assert code == 2
    assert one_line(output) == f"database: {tmp_path}: is a directory"


async def test_a_database_under_a_regular_file_cannot_be_created(tmp_path: Path) -> None:
    # A read-only place that holds for root too: a file cannot hold a folder.
    (tmp_path / "file.txt").write_text("not a folder")
    for db in (tmp_path / "file.txt" / "db.sqlite3", tmp_path / "file.txt" / "a" / "db.sqlite3"):
        async with BotApiServer(TOKEN) as server:
            code, output = await run_bot(server.url, db)
        assert code == 2
        assert one_line(output) == f"database: {db}: cannot be written (Not a directory)"
        assert not any(c.method == "getMe" for c in server.world.calls)  # checked first


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root writes through permission bits; the folder-under-a-file test covers root",
)
async def test_a_read_only_folder_or_file_cannot_be_written(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    existing = tmp_path / "readonly.sqlite3"
    existing.write_bytes(b"")
    existing.chmod(0o444)
    folder.chmod(0o555)
    try:
        for db in (folder / "db.sqlite3", existing):
            code, output = await run_bot("http://127.0.0.1:1", db)
            assert code == 2
            assert one_line(output) == f"database: {db}: cannot be written (Permission denied)"
    finally:
        folder.chmod(0o755)


async def test_an_unreachable_bot_api_is_tried_again_then_given_up_with_status_2(
    tmp_path: Path,
) -> None:
    api = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    # 5 s: time enough for the waits of 1 s and 2 s in full, however slow the machine
    # (the last wait is what is left before the deadline).
    code, output = await run_bot(api, tmp_path / "bot.sqlite3", "--give-up-after", "5")
    assert code == 2
    assert "Traceback" not in output
    assert "Unclosed" not in output  # its HTTP sessions were closed
    assert f"Bot API at {api} cannot be reached (Connection refused); trying again in 1 s" in (
        output
    )
    assert "trying again in 2 s" in output
    assert output.strip().splitlines()[-1] == (
        f"Bot API at {api} cannot be reached (Connection refused); gave up after 5 s"
    )


async def test_a_bot_api_that_comes_up_later_is_used(tmp_path: Path) -> None:
    port = free_port()
    process = await spawn_bot(
        "run",
        env={
            "MOOC_BOT_TOKEN": TOKEN,
            "MOOC_BOT_API_URL": f"http://127.0.0.1:{port}",
            "MOOC_BOT_DB": str(tmp_path / "later.sqlite3"),
        },
    )
    assert process.stderr is not None
    try:
        async with asyncio.timeout(30):
            first = (await process.stderr.readline()).decode()
        assert "cannot be reached (Connection refused); trying again in 1 s" in first
        async with BotApiServer(TOKEN, port=port) as server:
            ann = Person.create(server.world, "Ann")
            ann.send("/start")
            await ann.expect("What would you like to do?", timeout=60)
            process.send_signal(signal.SIGTERM)
            async with asyncio.timeout(60):
                rest = (await process.stderr.read()).decode()
                assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert "Traceback" not in rest
    assert "event=started mode=polling" in rest


async def test_a_refused_token_is_one_line_and_status_2_without_retrying(tmp_path: Path) -> None:
    async with BotApiServer("999:the-real-token") as server:
        code, output = await run_bot(server.url, tmp_path / "bot.sqlite3")
    assert code == 2
    assert one_line(output) == (  # at once: no "trying again"
        f"Bot API at {server.url} refused the token (Unauthorized): check MOOC_BOT_TOKEN"
    )
    assert TOKEN not in output


async def test_a_webhook_port_in_use_is_one_line_and_status_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        hook = f"http://127.0.0.1:{port}/hook"
        async with BotApiServer(TOKEN) as server:
            code, output = await run_bot(
                server.url, tmp_path / "bot.sqlite3", **webhook_env(hook, port)
            )
    assert code == 2
    assert "Traceback" not in output
    assert output.strip().splitlines()[-1] == (
        f"webhook: cannot listen on 127.0.0.1:{port} (Address already in use)"
    )


async def test_a_stop_while_still_trying_to_reach_the_bot_api_exits_0(tmp_path: Path) -> None:
    process = await spawn_bot(
        "run",
        env={
            "MOOC_BOT_TOKEN": TOKEN,
            "MOOC_BOT_API_URL": f"http://127.0.0.1:{free_port()}",
            "MOOC_BOT_DB": str(tmp_path / "stopped.sqlite3"),
        },
    )
    assert process.stderr is not None
    try:
        async with asyncio.timeout(30):
            first = (await process.stderr.readline()).decode()
            assert "trying again in 1 s" in first
            process.send_signal(signal.SIGTERM)
            rest = (await process.stderr.read()).decode()
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert "Traceback" not in rest
    assert "Unclosed" not in rest
    assert "event=stopping signal=SIGTERM" in rest


async def test_webhook_mode_on_postgresql_without_a_shared_secret_refuses_to_start(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = webhook_env(f"http://127.0.0.1:{port}/hook", port)
    del env["MOOC_BOT_BOT__WEBHOOK_SECRET"]
    env["MOOC_BOT_DB"] = "postgresql://moocbot@127.0.0.1:1/moocbot"  # never reached
    async with BotApiServer(TOKEN) as server:
        code, output = await run_bot(server.url, tmp_path / "unused.sqlite3", **env)
    assert code == 2
    assert one_line(output) == (
        "MOOC_BOT_BOT__WEBHOOK_SECRET: webhook mode on PostgreSQL needs one secret shared by "
        "every process; set it in the environment"
    )
