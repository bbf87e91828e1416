"""An organisers' alert is never dropped: for an organiser who has not written to the
bot yet (Telegram lets no bot write first) it waits, is listed by `mooc-bot outbox`,
and comes right after the welcome at their /start."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from telegram.error import Forbidden

from bot.cli import _outbox
from bot.clock import ManualClock
from bot.sandbox.harness import Sandbox
from bot.settings import Settings
from store import logins, outbox
from store.outbox import WAITING_FOR_CHAT, OutboxStatus
from tests.e2e.test_registration import sign_up

ORGANISER = 515151


async def test_alert_for_an_organiser_who_never_wrote_waits_for_their_start(
    settings: Settings, tmp_path: Path, clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    roles = settings.roles.model_copy(update={"organisers": [ORGANISER]})
    with_organiser = settings.model_copy(update={"roles": roles})
    async with Sandbox(with_organiser, tmp_path / "db.sqlite3", clock=clock) as tg:
        olivia = tg.person("Olivia", user_id=ORGANISER)
        assert tg.app is not None
        with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
            await tg.app.bot.send_message(ORGANISER, "hello?")  # as Telegram answers
        await logins.add_codes(tg.store, ["ONLY-ONE"], clock.now())
        ann, bea = tg.person("Ann"), tg.person("Bea")
        await sign_up(ann)
        assert "ONLY-ONE" in (await ann.expect("Your free MOOC login")).shown_text
        await sign_up(bea, "bea@example.org")
        follows = await bea.expect("Your personal MOOC login follows soon")
        assert "as soon as they add new ones" in follows.shown_text
        await tg.dispatch()
        (alert,) = await outbox.for_participant(tg.store, ORGANISER)
        assert (alert.kind, alert.status) == ("alert", OutboxStatus.PENDING)
        assert alert.last_error == WAITING_FOR_CHAT
        clock.advance(timedelta(days=1, minutes=1))  # looked at again: still waiting
        await tg.dispatch()
        assert (await outbox.for_participant(tg.store, ORGANISER))[0].status is (
            OutboxStatus.PENDING
        )
        await _outbox(tg.settings)
        assert f"alert for {ORGANISER} waits until they write to the bot" in capsys.readouterr().out
        olivia.send("/start")
        await olivia.expect("What would you like to do?")
        shown = await olivia.expect("The pool of MOOC login codes is empty")
        assert "1 registered participant(s) are waiting" in shown.shown_text
        assert (await outbox.for_participant(tg.store, ORGANISER))[0].status is OutboxStatus.SENT
        clock.advance(timedelta(days=2))
        await tg.dispatch()
        olivia.send("/start")
        await olivia.expect("What would you like to do?")
        await tg.settle()
        assert sum("pool of MOOC login" in m.shown_text for m in olivia.bot_messages()) == 1
        await _outbox(tg.settings)
        assert "waits until they write" not in capsys.readouterr().out
