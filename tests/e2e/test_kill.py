"""Restart-safety with a real process: kill -9 the bot mid-dialogue, start it again."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

from bot.sandbox import BotApiServer, Person
from store import answers
from store.db import Store
from tests.conftest import bot_running
from tests.e2e.conftest import Database, on_both_backends

TOKEN = "555:KILL-TEST-token"


def bot_process(server: BotApiServer, db: Path | str) -> Any:
    return bot_running(server.url, TOKEN, db)


@on_both_backends
async def test_killed_mid_reflection_resumes_with_every_answer(database: Database) -> None:
    db = database("kill.sqlite3")
    async with BotApiServer(TOKEN) as server:
        ann = Person.create(server.world, "Ann")
        async with bot_process(server, db) as first:
            ann.send("/reflect")
            ann.press("Partly", await ann.expect("1/5", timeout=60))
            await ann.expect("What do you recognise")
            ann.send("Half an answer, then the power went out.")
            await ann.expect("Noted ✓")
            first.send_signal(signal.SIGKILL)
            await first.wait()
        ann.send("…and the rest of it.")  # typed while no bot is running
        async with bot_process(server, db) as second:
            await ann.expect("Noted ✓", timeout=60)
            ann.press("Done ✓")
            await ann.expect("2/5")
            second.send_signal(signal.SIGINT)
            await second.wait()
    async with Store(db) as store:
        saved = await answers.latest(store, ann.user.id, "reflection")
    assert {step: a.value for step, a in saved.items()} == {
        "q1": "partly",
        "q1why": "Half an answer, then the power went out.\n…and the rest of it.",
    }
