"""An organisers' alert is never dropped: for an organiser who has not written to the
bot yet (Telegram lets no bot write first) it waits, is listed by `mooc-bot outbox`,
and comes right after the welcome at their /start."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from telegram.error import Forbidden

from bot.base.clock import ManualClock
from bot.base.settings import Settings
from bot.cli.db import show_outbox
from bot.sandbox.harness import Sandbox, known
from store import logins, outbox, participants
from store import roles as role_store
from store.outbox import WAITING_FOR_CHAT, OutboxStatus
from store.participants import ParticipantStatus
from store.roles import Role
from tests.e2e.test_invites import invite_link
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
        await show_outbox(tg.settings)
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
        await show_outbox(tg.settings)
        assert "waits until they write" not in capsys.readouterr().out


GRANTED = 525252  # an organiser by `mooc-bot roles grant` (store/roles.py)
INVITED = 535353  # an organiser by an invite link
ALERT_TEXT = "The pool of MOOC login codes is empty"


async def empty_the_pool(tg: Sandbox, clock: ManualClock) -> None:
    """One code, two sign-ups: the second one finds the pool empty (the alert)."""
    await logins.add_codes(tg.store, ["ONLY-ONE"], clock.now())
    ann, bea = tg.person("Ann"), tg.person("Bea")
    await sign_up(ann)
    await ann.expect("Your free MOOC login")
    await sign_up(bea, "bea@example.org")
    await bea.expect("Your personal MOOC login follows soon")


async def test_alert_reaches_every_organiser_configured_granted_and_invited_once_each(
    settings: Settings, tmp_path: Path, clock: ManualClock
) -> None:
    roles = settings.roles.model_copy(update={"organisers": [ORGANISER]})
    with_organiser = settings.model_copy(update={"roles": roles})
    async with Sandbox(with_organiser, tmp_path / "db.sqlite3", clock=clock) as tg:
        olivia = tg.person("Olivia", user_id=ORGANISER)
        gert = tg.person("Gert", user_id=GRANTED)
        ivo = tg.person("Ivo", user_id=INVITED)
        for person in (olivia, gert, ivo):
            person.send("/start")
            await person.expect("What would you like to do?")
        # Olivia is an organiser twice over (settings and a grant): she is alerted once.
        for telegram_id in (ORGANISER, GRANTED):
            await role_store.grant(tg.store, telegram_id, Role.ORGANISER, None, clock.now())
        ivo.send(f"/start {await invite_link(olivia, Role.ORGANISER)}")
        await ivo.expect("you are now an organiser")
        await empty_the_pool(tg, clock)
        await tg.dispatch()
        for person in (olivia, gert, ivo):
            shown = await person.expect(ALERT_TEXT)
            assert "1 registered participant(s) are waiting" in shown.shown_text
        clock.advance(timedelta(days=1))
        await tg.dispatch()
        await tg.settle()
        for person in (olivia, gert, ivo):
            assert sum(ALERT_TEXT in m.shown_text for m in person.bot_messages()) == 1
            rows = await outbox.for_participant(tg.store, person.user.id)
            alerts = [r for r in rows if r.kind == "alert"]
            assert [a.status for a in alerts] == [OutboxStatus.SENT]


async def test_cant_initiate_is_not_blocked_rows_stay_and_the_alert_waits(
    settings: Settings, tmp_path: Path, clock: ManualClock
) -> None:
    roles = settings.roles.model_copy(update={"organisers": [ORGANISER]})
    with_organiser = settings.model_copy(update={"roles": roles})
    async with Sandbox(with_organiser, tmp_path / "db.sqlite3", clock=clock) as tg:
        assert tg.app is not None
        olivia = tg.person("Olivia", user_id=ORGANISER)
        olivia.send("/start")
        await olivia.expect("What would you like to do?")
        olivia.block()  # she blocks the bot: that is a block
        gert = tg.person("Gert", user_id=GRANTED)
        # Gert has a participant row but never opened the chat (Telegram lets no bot write first).
        await known(tg.store, [gert], clock.now())
        await role_store.grant(tg.store, GRANTED, Role.ORGANISER, ORGANISER, clock.now())
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await tg.app.bot.send_message(ORGANISER, "hello?")  # the sandbox answers as
        with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
            await tg.app.bot.send_message(GRANTED, "hello?")  # Telegram does, each its own
        for telegram_id in (ORGANISER, GRANTED):  # something else owed to each, for later
            await outbox.enqueue(
                tg.store,
                dedup_key=f"later:{telegram_id}",
                participant_id=telegram_id,
                kind="login",
                due_at=clock.now() + timedelta(days=7),
                now=clock.now(),
            )
        await empty_the_pool(tg, clock)
        await tg.dispatch()

        stored_gert = await participants.get(tg.store, GRANTED)
        assert stored_gert is not None
        assert stored_gert.status is ParticipantStatus.ACTIVE  # not marked blocked
        rows = {r.kind: r for r in await outbox.for_participant(tg.store, GRANTED)}
        assert (rows["alert"].status, rows["alert"].last_error) == (
            OutboxStatus.PENDING,
            WAITING_FOR_CHAT,
        )
        assert rows["login"].status is OutboxStatus.PENDING  # kept, not cancelled
        stored_olivia = await participants.get(tg.store, ORGANISER)
        assert stored_olivia is not None
        assert stored_olivia.status is ParticipantStatus.BLOCKED
        hers = {r.kind: r for r in await outbox.for_participant(tg.store, ORGANISER)}
        assert hers["login"].status is OutboxStatus.CANCELLED  # a block cancels what is owed
        assert hers["alert"].status is OutboxStatus.PENDING  # an alert waits all the same
        assert not any(ALERT_TEXT in m.shown_text for m in gert.bot_messages())

        gert.send("/start")
        await gert.expect("What would you like to do?")
        await gert.expect(ALERT_TEXT)
        rows = {r.kind: r for r in await outbox.for_participant(tg.store, GRANTED)}
        assert rows["alert"].status is OutboxStatus.SENT
        assert rows["login"].status is OutboxStatus.PENDING
