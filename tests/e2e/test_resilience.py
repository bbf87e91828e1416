"""The bot keeps running when Telegram or a handler fails."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest

from bot.base.clock import ManualClock
from bot.base.settings import Settings
from bot.sandbox.harness import Sandbox
from bot.sandbox.limits import Faults
from bot.shell.patience import PATIENCE
from bot.shell.runner import TRIES
from store import inbox, participants
from store.participants import ParticipantStatus
from tests.e2e.conftest import on_both_backends


@on_both_backends
async def test_a_reply_refused_with_500s_comes_again_within_seconds_once(
    tg: Sandbox, clock: ManualClock
) -> None:
    ann = tg.person("Ann")
    # The welcome meets a 500 on every try in hand (a reply is tried PATIENCE times);
    # it stays in the outbox and goes out a second later.
    tg.server.faults.fail_next = PATIENCE
    ann.send("/start")
    await tg.world.wait_for(lambda: [c.status for c in tg.world.calls].count(500) == PATIENCE)
    await tg.settle()
    clock.advance(timedelta(seconds=1))
    assert await tg.dispatch() == 1
    await ann.expect("What would you like to do?")
    ann.send("/help")
    await ann.expect("What I can do")
    welcomes = [m for m in ann.bot_messages() if "What would you like to do?" in m.shown_text]
    assert len(welcomes) == 1
    assert not [m for m in ann.bot_messages() if "something went wrong" in m.shown_text]


# A trigger that refuses every change of a participant, in each database's own words.
BROKEN = {
    "sqlite": (
        "CREATE TRIGGER broken BEFORE UPDATE ON participants"
        " BEGIN SELECT RAISE(ABORT, 'broken on purpose'); END",
    ),
    "postgresql": (
        "CREATE FUNCTION broken() RETURNS trigger LANGUAGE plpgsql"
        " AS $$ BEGIN RAISE EXCEPTION 'broken on purpose'; END $$",
        "CREATE TRIGGER broken BEFORE UPDATE ON participants"
        " FOR EACH ROW EXECUTE FUNCTION broken()",
    ),
}
MENDED = {"sqlite": "DROP TRIGGER broken", "postgresql": "DROP TRIGGER broken ON participants"}


@on_both_backends
async def test_an_update_whose_handler_keeps_failing_is_parked_and_the_next_one_goes_on(
    tg: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    ann = tg.person("Ann")
    ann.send("/start")
    await ann.expect("What would you like to do?")
    for statement in BROKEN[tg.store.dialect]:  # every update of hers now fails in its handler
        await tg.store.execute(statement)
    with caplog.at_level(logging.WARNING, logger="bot.shell.runner"):
        ann.send("/help")
        sorry = await ann.expect("Sorry, something went wrong")
    assert "your progress is saved" in sorry.shown_text
    logged = [r.getMessage() for r in caplog.records]
    assert any(
        re.fullmatch(rf"handler failed {TRIES} times for update \d+; parked", line)
        for line in logged
    ), logged
    [parked] = await inbox.parked(tg.store)
    assert parked.attempts == TRIES
    assert parked.last_error is not None
    assert "broken on purpose" in parked.last_error
    await tg.store.execute(MENDED[tg.store.dialect])
    ann.send("/menu")  # not held up behind the parked one
    await ann.expect("What would you like to do?")
    assert [m.shown_text for m in ann.bot_messages()].count(sorry.shown_text) == 1


async def test_refused_set_my_commands_is_a_warning_not_a_crash(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    faults = Faults(fail_methods={"setMyCommands"})
    with caplog.at_level(logging.WARNING, logger="bot.shell.lifecycle"):
        async with Sandbox(settings, tmp_path / "db.sqlite3", faults=faults, poll_timeout=1) as tg:
            ann = tg.person("Ann")
            ann.send("/start")
            await ann.expect("What would you like to do?")
    assert tg.world.commands == {}
    assert any("refused setMyCommands" in r.getMessage() for r in caplog.records)


async def test_user_who_blocked_the_bot_does_not_break_it(tg: Sandbox) -> None:
    ann, bea = tg.person("Ann"), tg.person("Bea")
    ann.send("/start")
    await ann.expect("What would you like to do?")
    ann.block()
    ann.send("/help")  # arrives, but the answer is refused with 403
    ann.send("/menu")  # handled after the first update's error handler (per-user order)
    await tg.world.wait_for(lambda: [c.status for c in tg.world.calls].count(403) == 2)
    bea.send("/help")
    await bea.expect("What I can do")
    blocked = await participants.get(tg.store, ann.user.id)
    assert blocked is not None
    assert blocked.status is ParticipantStatus.BLOCKED
