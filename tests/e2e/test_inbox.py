"""Nothing typed is lost or doubled: the inbox against kill -9, redeliveries and faults.

Real `mooc-bot run` processes against the local Bot API server, which keeps an
update pending until a getUpdates offset above it confirms it (as Telegram does).
The short runs are part of `make test`; MOOC_BOT_KILLS=30 MOOC_BOT_KILL_PEOPLE=100
gives the long run whose figures the closing note quotes, MOOC_BOT_KILLS=0 its
control run (the same typing with no kill).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import time
from collections import Counter
from pathlib import Path

from bot.sandbox import BotApiServer, Person
from bot.sandbox.harness import Sandbox
from bot.sandbox.limits import Faults
from flows.model import FlowState
from store import answers, inbox
from store.db import Store
from tests.conftest import bot_running
from tests.e2e.conftest import Database, on_both_backends

TOKEN = "556:INBOX-TEST-token"
KILLS = int(os.environ.get("MOOC_BOT_KILLS", "4"))
PEOPLE = int(os.environ.get("MOOC_BOT_KILL_PEOPLE", "20"))
RATE = 40.0  # messages a second, all people together
SEED = int(os.environ.get("MOOC_BOT_KILL_SEED", "16"))
CONTROL_SECONDS = 45.0  # MOOC_BOT_KILLS=0: typing for about as long as 30 kills take


def noted(person: Person) -> int:
    return sum("Noted ✓" in m.shown_text for m in person.bot_messages())


async def at_an_open_answer(person: Person) -> None:
    person.send("/reflect")
    person.press("Yes", await person.expect("1/5", timeout=60))
    await person.expect("What do you recognise", timeout=60)


@on_both_backends
async def test_typing_through_random_kills_loses_and_doubles_nothing(database: Database) -> None:
    db = database("kills.sqlite3")
    rng = random.Random(SEED)
    faults = Faults(latency=0.05)
    async with BotApiServer(TOKEN, faults=faults) as server:
        people = [Person.create(server.world, f"P{i}") for i in range(PEOPLE)]
        sent: dict[int, list[str]] = {p.user.id: [] for p in people}
        async with bot_running(server.url, TOKEN, db) as first:
            await asyncio.gather(*(at_an_open_answer(p) for p in people))
            first.send_signal(signal.SIGKILL)
            await first.wait()

        typing_done = asyncio.Event()

        async def type_messages() -> None:
            n = 0
            began = time.monotonic()
            while not typing_done.is_set():
                person = people[n % len(people)]
                text = f"{person.user.first_name}-m{n}"
                person.send(text)
                sent[person.user.id].append(text)
                n += 1
                await asyncio.sleep(max(0.0, began + n / RATE - time.monotonic()))

        typist = asyncio.create_task(type_messages())
        for _ in range(KILLS):
            async with bot_running(server.url, TOKEN, db) as bot:
                # Up for a random while: starting, polling, mid-backlog or mid-reply.
                await asyncio.sleep(rng.uniform(0.5, 3.0))
                bot.send_signal(signal.SIGKILL)
                await bot.wait()
        if not KILLS:  # the control run: the same typing, one bot all along
            async with bot_running(server.url, TOKEN, db) as control:
                await asyncio.sleep(CONTROL_SECONDS)  # the length of the load, not a wait
                control.send_signal(signal.SIGINT)
                await control.wait()
        typing_done.set()
        await typist
        async with bot_running(server.url, TOKEN, db) as last:
            # Every message answered: each typed line gets its "Noted".
            await server.world.wait_for(
                lambda: all(noted(p) >= len(sent[p.user.id]) + 0 for p in people), timeout=240
            )
            await server.world.wait_for(lambda: not server.world.updates, timeout=30)
            last.send_signal(signal.SIGINT)
            await last.wait()
    lost = doubled = 0
    async with Store(db) as store:
        assert inbox.InboxStatus.PENDING not in await inbox.counts(store)
        for person in people:
            state = await answers.load_state(store, person.user.id, "reflection")
            assert state is not None
            stored = FlowState.from_json(state).draft.split("\n")
            counts = Counter(stored)
            doubled += sum(n - 1 for n in counts.values() if n > 1)
            lost += sum(1 for text in sent[person.user.id] if text not in counts)
            assert stored == sent[person.user.id], person.user.first_name
    total = sum(len(v) for v in sent.values())
    replies = sum(noted(p) for p in people) - total
    print(
        f"\n{KILLS} kills, {total} messages from {PEOPLE} people: {lost} lost, "
        f"{doubled} doubled, {replies} reply(ies) shown twice"
    )
    assert (lost, doubled) == (0, 0)


@on_both_backends
async def test_webhook_update_posted_twice_is_handled_once(database: Database) -> None:
    import aiohttp

    from bot.shell.webhook import SECRET_HEADER
    from tests.e2e.test_production import SECRET, free_port, wait_healthy, webhook_env

    db, port = database("webhook.sqlite3"), free_port()
    hook = f"http://127.0.0.1:{port}/hook"
    async with BotApiServer(TOKEN) as server, aiohttp.ClientSession() as client:
        ann = Person.create(server.world, "Ann")
        async with bot_running(server.url, TOKEN, db, **webhook_env(hook, port)) as bot:
            await wait_healthy(client, f"http://127.0.0.1:{port}/health")
            await at_an_open_answer(ann)
            ann.send("Said once, delivered thrice.")
            await ann.expect("Noted ✓", timeout=30)
            update = server.world.history[max(server.world.history)]
            assert update["message"]["text"] == "Said once, delivered thrice."
            for _ in range(2):  # Telegram delivering it again (its 200 was lost, say)
                async with client.post(hook, json=update, headers={SECRET_HEADER: SECRET}) as r:
                    assert r.status == 200  # acknowledged, so Telegram stops
            ann.send("And this once.")
            await ann.expect("Noted ✓", timeout=30)
            bot.send_signal(signal.SIGINT)
            await bot.wait()
    assert noted(ann) == 2
    async with Store(db) as store:
        state = await answers.load_state(store, ann.user.id, "reflection")
    assert state is not None
    assert FlowState.from_json(state).draft == "Said once, delivered thrice.\nAnd this once."


@on_both_backends
async def test_an_update_the_bot_cannot_read_is_parked_and_polling_goes_on(tg: Sandbox) -> None:
    tg.world.push_update(message={"message_id": 1, "text": "from a newer Bot API"})  # no chat
    ann = tg.person("Ann")
    ann.send("/start")
    await ann.expect("What would you like to do?")
    await tg.settle()
    [parked] = await inbox.parked(tg.store)
    assert parked.last_error is not None
    assert parked.last_error.startswith("unreadable")
    assert not tg.world.updates  # confirmed: Telegram does not send it again


# SQLite only: it reads the inbox table with sqlite3 afterwards (and what it tests is the
# webhook's parsing, which is the same on either database).
async def test_webhook_bodies_that_are_not_one_update_get_400_and_the_bot_goes_on(
    tmp_path: Path,
) -> None:
    import io
    import json
    from collections.abc import AsyncIterator

    import aiohttp

    from bot.shell.webhook import SECRET_HEADER
    from tests.e2e.test_production import SECRET, free_port, wait_healthy, webhook_env

    def nested(depth: int) -> bytes:  # an update whose extra field nests `depth` deep
        return b'{"update_id": 424242, "x": ' + b'{"a": ' * depth + b"{}" + b"}" * depth + b"}"

    big = {"update_id": 424243, "message": {"text": "x" * (1024 * 1024)}}
    bodies = {
        "deep list": b"[" * 100_000 + b"]" * 100_000,
        "deep dict": nested(10_000),
        "deep, yet parseable": nested(500),
        "not JSON": b"{'update_id': 1",
        "not UTF-8": b'{"update_id": 1, "x": "\xff"}',
        "a list": b'[{"update_id": 424244}]',
        "no update_id": b'{"message": {}}',
        "update_id not an integer": b'{"update_id": "424245"}',
        "update_id a boolean": b'{"update_id": true}',
        "over 1 MiB": json.dumps(big).encode(),
        "update_id past 64 bits": b'{"update_id": 9223372036854775808}',
        "from.id past 64 bits": b'{"update_id": 424246, "message": {"message_id": 1, "date": 1,'
        b' "chat": {"id": 1, "type": "private"}, "from": {"id": 9223372036854775808,'
        b' "is_bot": false, "first_name": "X"}, "text": "hi"}}',
        "a lone surrogate": b'{"update_id": 424247, "message": {"text": "\\ud800"}}',
    }
    db, port = tmp_path / "webhook.sqlite3", free_port()
    hook = f"http://127.0.0.1:{port}/hook"
    async with BotApiServer(TOKEN) as server, aiohttp.ClientSession() as client:
        ann = Person.create(server.world, "Ann")
        async with bot_running(server.url, TOKEN, db, **webhook_env(hook, port)) as bot:
            await wait_healthy(client, f"http://127.0.0.1:{port}/health")
            headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
            for name, body in bodies.items():
                async with client.post(hook, data=io.BytesIO(body), headers=headers) as response:
                    assert response.status == 400, name

            async def chunked() -> AsyncIterator[bytes]:  # no Content-Length to go by
                yield bodies["over 1 MiB"]

            async with client.post(hook, data=chunked(), headers=headers) as response:
                assert response.status == 400
            ann.send("/start")  # a real update after them all is handled as ever
            await ann.expect("What would you like to do?", timeout=30)
            assert (await wait_healthy(client, f"http://127.0.0.1:{port}/health"))["ok"]
            bot.send_signal(signal.SIGINT)
            async with asyncio.timeout(60):
                assert await bot.wait() == 0
    with sqlite3.connect(db) as conn:
        stored = [row[0] for row in conn.execute("SELECT update_id FROM inbox")]
    assert stored == [max(server.world.history)]  # only Ann's /start: nothing of the rest


@on_both_backends  # PostgreSQL's BIGINT stops at 64 bits too, with the same message
async def test_an_update_sqlite_cannot_take_is_parked_scrubbed_and_polling_goes_on(
    tg: Sandbox,
) -> None:
    ann = tg.person("Ann")
    chat = {"id": ann.user.id, "type": "private"}
    giant = {"id": 2**63, "is_bot": False, "first_name": "Giant"}  # past SQLite's 64 bits
    tg.world.push_update(message={"message_id": 2, "date": 1, "chat": chat, "from": giant})
    ann.send("/start")
    await ann.expect("What would you like to do?")
    await tg.settle()
    [parked] = await inbox.parked(tg.store)
    assert parked.last_error == "unstorable: integer out of range"
    assert parked.payload is not None
    assert parked.payload["message"]["from"]["id"] == str(2**63)  # for an operator to read
    assert not tg.world.updates  # confirmed: Telegram does not send it again


@on_both_backends  # PostgreSQL's TEXT cannot hold a NUL: parked alike on SQLite
async def test_an_update_with_a_nul_is_parked_scrubbed_on_both_databases(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    chat = {"id": ann.user.id, "type": "private"}
    tg.world.push_update(
        message={
            "message_id": 2,
            "date": 1,
            "chat": chat,
            "from": ann.user.to_api(),
            "text": "/start\x00",
        }
    )
    ann.send("/start")
    await ann.expect("What would you like to do?")
    await tg.settle()
    [parked] = await inbox.parked(tg.store)
    assert parked.last_error == "unstorable: a NUL character"
    assert parked.payload is not None
    assert parked.payload["message"]["text"] == "/start"  # for an operator to read
    assert parked.person == ann.user.id
    assert not tg.world.updates  # confirmed: Telegram does not send it again
    # As for any update that cannot be stored: nothing is said about it.
    assert len(ann.bot_messages()) == 1
