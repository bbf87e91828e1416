"""The bot keeps running when Telegram or a handler fails."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from bot.render import PATIENCE
from bot.sandbox.harness import Sandbox
from bot.sandbox.limits import Faults
from bot.settings import Settings
from store import participants
from store.participants import ParticipantStatus


async def test_failed_handler_says_progress_is_saved_and_bot_keeps_running(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    # The greeting's first sendMessage meets a 500 on every try (a reply is tried again
    # PATIENCE times in all); the apology after it goes through.
    tg.server.faults.fail_next = PATIENCE
    ann.send("/start")
    sorry = await ann.expect("Sorry, something went wrong")
    assert "your progress is saved" in sorry.shown_text
    ann.send("/help")
    await ann.expect("What I can do")


async def test_failure_is_logged_with_the_update_id(
    tg: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    ann = tg.person("Ann")
    tg.server.faults.fail_next = PATIENCE
    with caplog.at_level(logging.ERROR, logger="bot.handlers.common"):
        ann.send("/help")
        await ann.expect("Sorry, something went wrong")
    logged = [r.getMessage() for r in caplog.records]
    assert any(re.fullmatch(r"handler failed for update \d+", line) for line in logged), logged


async def test_refused_set_my_commands_is_a_warning_not_a_crash(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    faults = Faults(fail_methods={"setMyCommands"})
    with caplog.at_level(logging.WARNING, logger="bot.app"):
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
