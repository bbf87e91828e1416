"""Several bot processes on one PostgreSQL: one leads (it alone polls and sends), the
other takes over within seconds when the leader is killed, and nothing is lost."""

from __future__ import annotations

import asyncio
import signal

from bot.sandbox import BotApiServer, Person
from store import inbox, outbox
from store.db import Store
from tests.conftest import bot_running
from tests.e2e.test_production import free_port, webhook_env
from tests.wording import said

TOKEN = "778:CLUSTER-test-token"


async def _leader_of(store: Store) -> int | None:
    """The pid of the process holding the leader's lock, as PostgreSQL sees it."""
    row = await store.fetch_one(
        "SELECT a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.objid = ? AND l.granted",
        (0x6D6F6F64,),
    )
    return None if row is None else int(row[0])


async def _wait(condition: object, timeout: float = 30) -> None:
    async with asyncio.timeout(timeout):
        while not await condition():  # type: ignore[operator]
            await asyncio.sleep(0.05)  # polling the database for a state change


async def test_the_follower_takes_over_when_the_leader_is_killed(postgres_url: str) -> None:
    async with BotApiServer(TOKEN) as server, Store(postgres_url) as store:
        ann = Person.create(server.world, "Ann")
        async with bot_running(server.url, TOKEN, postgres_url) as first:
            await _wait(lambda: _has_leader(store))
            first_leader = await _leader_of(store)
            async with bot_running(server.url, TOKEN, postgres_url) as second:
                ann.send("/start")
                await ann.expect(said("menu.prompt", "en"), timeout=30)
                before = len(ann.bot_messages())
                assert server.world.poll_conflicts == 0
                first.send_signal(signal.SIGKILL)
                await first.wait()
                await _wait(lambda: _leader_changed(store, first_leader), timeout=30)
                ann.send("/help")
                await server.world.wait_for(
                    lambda: any("/menu" in (m.text or "") for m in ann.bot_messages()[before:]),
                    30,
                )
                assert second.returncode is None
        assert await inbox.counts(store) == {inbox.InboxStatus.HANDLED: 2}


async def _has_leader(store: Store) -> bool:
    return await _leader_of(store) is not None


async def _leader_changed(store: Store, before: int | None) -> bool:
    now = await _leader_of(store)
    return now is not None and now != before


async def test_a_follower_handles_what_it_is_posted_and_the_leader_sends_the_replies(
    postgres_url: str,
) -> None:
    """Telegram posts to whichever process set the webhook last: here the follower,
    whose turns queue the replies and tell the leader, which alone sends."""
    async with BotApiServer(TOKEN) as server, Store(postgres_url) as store:
        ann = Person.create(server.world, "Ann")
        lead_port, follow_port = free_port(), free_port()
        lead_hook = f"http://127.0.0.1:{lead_port}/hook"
        follow_hook = f"http://127.0.0.1:{follow_port}/hook"
        async with bot_running(
            server.url, TOKEN, postgres_url, **webhook_env(lead_hook, lead_port)
        ):
            await _wait(lambda: _has_leader(store))
            leader = await _leader_of(store)
            async with bot_running(
                server.url, TOKEN, postgres_url, **webhook_env(follow_hook, follow_port)
            ):
                await server.world.wait_for(
                    lambda: server.world.webhook.get("url") == follow_hook, 30
                )
                ann.send("/start")
                await ann.expect(said("menu.prompt", "en"), timeout=30)
                ann.send("/help")
                await server.world.wait_for(
                    lambda: any("/menu" in (m.text or "") for m in ann.bot_messages()), 30
                )
                assert await _leader_of(store) == leader  # the follower never led
        assert await inbox.counts(store) == {inbox.InboxStatus.HANDLED: 2}
        assert await outbox.counts(store) == {}  # every reply sent (a sent reply leaves no row)
