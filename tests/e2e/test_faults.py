"""Trouble between the bot and Telegram, and under the bot's database.

The Bot API server answers slowly, with 500s, or cuts every connection for a
while; another process holds the database's write lock (as a backup tool may);
the disk fills up while an answer is saved. Each time the participant gets their
answer through, or is told plainly that it waits (the bot confirms to Telegram
only what it stored, so nothing is lost and nothing needs sending twice), and
nothing is kept half-written.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.sandbox import Person
from bot.sandbox.harness import Sandbox
from flows.model import FlowState
from store import answers
from store.errors import NotSaved
from tests.e2e.conftest import on_both_backends

# 2,880 characters, over 5 KB in UTF-8: more than a database page can hold.
LONG = "مرحبا بالعالم 🌱 " * 180


async def at_question_one_words(person: Person) -> None:
    person.send("/reflect")
    person.press("Yes", await person.expect("1/5"))
    await person.expect("What do you recognise")


async def saved(tg: Sandbox, person: Person) -> dict[str, str]:
    found = await answers.latest(tg.store, person.user.id, "reflection")
    return {step: answer.value for step, answer in found.items()}


async def draft(tg: Sandbox, person: Person) -> str:
    state = await answers.load_state(tg.store, person.user.id, "reflection")
    assert state is not None
    return FlowState.from_json(state).draft


async def test_a_slow_server_is_waited_for_and_nothing_is_lost(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    await at_question_one_words(ann)
    tg.server.faults.latency = 1.5  # every answer of the Bot API takes 1.5 s
    ann.send("Slowly but surely.")
    await ann.expect("Noted ✓", timeout=30)
    ann.press("Done ✓")
    await ann.expect("2/5", timeout=30)
    assert await saved(tg, ann) == {"q1": "yes", "q1why": "Slowly but surely."}


@on_both_backends
async def test_500s_on_replies_are_tried_again_and_arrive_once(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    await at_question_one_words(ann)
    tg.server.faults.fail_methods = {"sendMessage"}
    ann.send("Through the storm.")
    await tg.world.wait_for(
        lambda: sum(c.method == "sendMessage" and c.status == 500 for c in tg.world.calls) >= 2
    )
    tg.server.faults.fail_methods = set()  # the server recovers
    await ann.expect("Noted ✓", timeout=30)
    assert sum("Noted ✓" in m.shown_text for m in ann.bot_messages()) == 1
    assert await draft(tg, ann) == "Through the storm."


@on_both_backends
async def test_a_reply_whose_answer_is_lost_is_not_sent_twice(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    await at_question_one_words(ann)
    tg.server.faults.lose_answers = 1  # "Noted" goes out; the bot never hears it did
    ann.send("Arrived, though the bot cannot know.")
    await ann.expect("Noted ✓")
    await tg.settle()  # the reply's lost answer is recorded
    assert sum("Noted ✓" in m.shown_text for m in ann.bot_messages()) == 1  # not retried
    assert not [m for m in ann.bot_messages() if "something went wrong" in m.shown_text]
    assert await draft(tg, ann) == "Arrived, though the bot cannot know."


async def test_cut_connections_for_a_while_then_the_bot_catches_up(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    await at_question_one_words(ann)
    tg.server.faults.dropping = True  # the network is gone, for polling and sending alike
    await tg.world.wait_for(lambda: tg.server.faults.dropped >= 3, timeout=30)
    ann.send("Typed while the network was down.")
    await tg.world.wait_for(lambda: tg.server.faults.dropped >= 5, timeout=60)
    tg.server.faults.dropping = False
    await ann.expect("Noted ✓", timeout=60)
    ann.press("Done ✓")
    await ann.expect("2/5", timeout=30)
    assert (await saved(tg, ann))["q1why"] == "Typed while the network was down."


# The lock and full-disk tests below stay on SQLite: they hold SQLite's own write lock
# from another connection and fill the file by its pragmas.
@contextmanager
def write_lock_held(database: Path) -> Iterator[sqlite3.Connection]:
    """Another process's write transaction on the bot's database (a backup tool's lock)."""
    other = sqlite3.connect(database, isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield other
    finally:
        other.execute("ROLLBACK")
        other.close()


async def test_a_short_lock_by_another_process_is_waited_out(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    await at_question_one_words(ann)
    with write_lock_held(tg.settings.database_path):
        polls = tg.world.call_counts()["getUpdates"]
        ann.send("Written while the backup ran.")
        # The bot took it, but cannot store it yet: it does not confirm it.
        await tg.world.wait_for(lambda: tg.world.call_counts()["getUpdates"] > polls)
        assert tg.world.updates
        assert not [m for m in ann.bot_messages() if "Noted" in m.shown_text]
    await ann.expect("Noted ✓")
    assert await draft(tg, ann) == "Written while the backup ran."


async def test_a_lock_held_too_long_keeps_the_message_waiting_and_loses_nothing(
    tg: Sandbox,
) -> None:
    ann = tg.person("Ann")
    await at_question_one_words(ann)
    ann.send("First part, saved.")
    await ann.expect("Noted ✓")
    with write_lock_held(tg.settings.database_path):
        ann.send("Second part, during a long lock.")
        waiting = await ann.expect("can't save messages just now", timeout=30)  # busy_timeout
        assert "no need to send it again" in waiting.shown_text
        assert tg.world.updates  # still Telegram's: not confirmed
    assert await draft(tg, ann) == "First part, saved."
    await ann.expect("Noted ✓", timeout=30)  # taken once the lock is gone, not re-sent
    ann.press("Done ✓")
    await ann.expect("2/5")
    assert (await saved(tg, ann))["q1why"] == "First part, saved.\nSecond part, during a long lock."
    told = [m for m in ann.bot_messages() if "can't save" in m.shown_text]
    assert len(told) == 1  # told once, though the bot asked for it again and again


async def test_a_full_disk_keeps_the_message_waiting_and_takes_it_when_there_is_room(
    tg: Sandbox,
) -> None:
    ann = tg.person("Ann")
    await at_question_one_words(ann)
    store = tg.store
    await store.execute("CREATE TABLE ballast (filler BLOB)")
    row = await store.fetch_one("PRAGMA page_count")
    assert row is not None
    await store.execute(f"PRAGMA max_page_count = {row[0]}")  # the file may not grow: a full disk
    for size in (4000, 400, 40, 4):  # and the free room inside it is filled up too
        with contextlib.suppress(NotSaved):
            while True:
                await store.execute("INSERT INTO ballast VALUES (zeroblob(?))", (size,))
    try:
        ann.send(LONG)
        waiting = await ann.expect("can't save messages just now")
        assert "no need to send it again" in waiting.shown_text
        assert await draft(tg, ann) == ""
        assert await saved(tg, ann) == {"q1": "yes"}
    finally:  # room again
        await store.execute("DROP TABLE ballast")
        await store.execute("PRAGMA max_page_count = 1073741823")
    await ann.expect("Noted ✓", timeout=30)  # the same message, not sent again
    ann.press("Done ✓")
    await ann.expect("2/5")
    assert (await saved(tg, ann))["q1why"] == LONG
