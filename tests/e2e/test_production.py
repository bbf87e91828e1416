"""`mooc-bot run` as a real process, as in production: webhook mode with its secret
and /health, structured logs, and a graceful stop on SIGTERM."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
from pathlib import Path
from typing import Any

import aiohttp

from bot.sandbox import BotApiServer, Person
from bot.shell.webhook import SECRET_HEADER
from store import participants
from store.db import Store
from tests.conftest import bot_running

TOKEN = "777:PRODUCTION-test-token"
SECRET = "webhook-secret-for-the-test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def webhook_env(hook: str, port: int) -> dict[str, str]:
    """The settings of a bot serving its own webhook on `port`."""
    return {
        "MOOC_BOT_BOT__MODE": "webhook",
        "MOOC_BOT_BOT__WEBHOOK_URL": hook,
        "MOOC_BOT_BOT__LISTEN": f"127.0.0.1:{port}",
        "MOOC_BOT_BOT__WEBHOOK_SECRET": SECRET,
    }


def bot_process(server: BotApiServer, db: Path, **env: str) -> Any:
    return bot_running(server.url, TOKEN, db, logs=True, **env)


def logs_of(process: asyncio.subprocess.Process) -> asyncio.Task[bytes]:
    """Its stderr, read while it runs (a full pipe would block it), ready once it ends."""
    assert process.stderr is not None
    return asyncio.create_task(process.stderr.read())


async def stopped(process: asyncio.subprocess.Process, logs: asyncio.Task[bytes]) -> str:
    """SIGTERM, then its exit status must be 0; its log."""
    process.send_signal(signal.SIGTERM)
    async with asyncio.timeout(60):
        assert await process.wait() == 0
        return (await logs).decode()


async def wait_healthy(client: aiohttp.ClientSession, url: str) -> dict[str, object]:
    async with asyncio.timeout(60):
        while True:
            try:
                async with client.get(url) as response:
                    if response.status == 200:
                        body: dict[str, object] = await response.json()
                        return body
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)  # polling a port that is not open yet


async def test_webhook_mode_takes_updates_refuses_forgeries_and_reports_health(
    tmp_path: Path,
) -> None:
    db, port = tmp_path / "webhook.sqlite3", free_port()
    hook = f"http://127.0.0.1:{port}/telegram-hook"
    async with BotApiServer(TOKEN) as server, aiohttp.ClientSession() as client:
        ann = Person.create(server.world, "Ann")
        async with bot_process(server, db, **webhook_env(hook, port)) as bot:
            logs = logs_of(bot)
            health = await wait_healthy(client, f"http://127.0.0.1:{port}/health")
            assert health["ok"] is True
            assert health["database"] == "ok"
            assert server.world.webhook["url"] == hook
            assert server.world.webhook["secret_token"] == SECRET

            ann.send("/start")  # delivered by the server's webhook, with the secret
            await ann.expect("What would you like to do?", timeout=30)
            seen = len(ann.bot_messages())
            ann.send("My private thought about learning")
            await server.world.wait_for(lambda: len(ann.bot_messages()) > seen, 30)

            forged = {
                "update_id": 999_999,
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "chat": {"id": 666, "type": "private"},
                    "from": {"id": 666, "is_bot": False, "first_name": "Mallory"},
                    "text": "/start",
                },
            }
            for headers in ({}, {SECRET_HEADER: "guessed"}):
                async with client.post(hook, json=forged, headers=headers) as response:
                    assert response.status == 403
            async with client.post(hook, json=None, headers={SECRET_HEADER: SECRET}) as response:
                assert response.status == 400  # not an update, even with the secret
            log = await stopped(bot, logs)

    assert log.count("event=webhook_refused") == 2
    assert "handler=flows.text" in log  # the private thought was handled…
    assert 'reason="no secret"' in log
    assert 'reason="wrong secret"' in log
    assert re.search(rf"update=\d+ user={ann.user.id}", log)
    assert "handler=participant.start" in log
    assert "event=stopping signal=SIGTERM" in log
    assert "event=stopped mode=webhook" in log
    assert "private thought" not in log  # …and what people type is never logged
    assert TOKEN not in log
    assert SECRET not in log
    async with Store(db) as store:
        assert await participants.get(store, ann.user.id) is not None
        assert await participants.get(store, 666) is None  # the forgery reached nothing


async def test_sigterm_lets_the_update_in_hand_finish(tmp_path: Path) -> None:
    db = tmp_path / "graceful.sqlite3"
    async with BotApiServer(TOKEN) as server:
        ann = Person.create(server.world, "Ann")
        async with bot_process(server, db) as bot:
            logs = logs_of(bot)
            await server.world.wait_for(
                lambda: any(c.method == "setMyCommands" for c in server.world.calls), 60
            )
            server.faults.latency = 0.5  # each call of the bot takes half a second
            ann.send("/start")
            await server.world.wait_for(
                lambda: any(
                    c.method == "sendMessage" and c.chat_id == ann.chat.id
                    for c in server.world.started
                ),
                30,
            )
            log = await stopped(bot, logs)  # the welcome is still on its way
        # Everything the handler meant to say arrived, though the stop came first.
        assert "What would you like to do?" in ann.bot_messages()[-1].shown_text
    assert "event=stopped mode=polling" in log
    assert "outcome=ok" in log
    assert "handler=participant.start" in log
