"""The services container, built as the bot builds it but without Telegram: every outbox
kind is registered, and a seat taken or given up starts or stops what it owes."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

from bot.base.clock import ManualClock
from bot.base.settings import Settings
from bot.services.broadcast import BROADCAST
from bot.services.container import Services, build_services
from bot.services.digest import DIGEST
from bot.services.dispatcher import Dispatcher
from bot.services.drip import DRIP
from bot.services.followup import AFTER, FOLLOWUP
from bot.services.registration import ALERT, LOGIN, PROMOTED
from bot.services.reminders import MOVED, NUDGE, REMINDER
from flows.content import load_content
from store import outbox, participants
from store.db import Store
from store.outbox import OutboxStatus
from store.registrations import Details
from tests.conftest import ROOT

NOW = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)  # two weeks before the shipped session
ANN = 501


def services_of(settings: Settings, store: Store) -> Services:
    content = load_content(
        settings.course.languages, settings.course.default_language, root=settings.content_dir
    )
    clock = ManualClock(NOW)
    return build_services(settings, store, content, clock, Dispatcher(None, store, clock))


def test_the_services_load_without_python_telegram_bot() -> None:
    probe = (
        "import sys, bot.services.container; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'telegram'))"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "[]"


async def test_every_outbox_kind_is_registered(settings: Settings, store: Store) -> None:
    services = services_of(settings, store)
    kinds = {DRIP, PROMOTED, LOGIN, ALERT, REMINDER, NUDGE, MOVED, FOLLOWUP, AFTER, DIGEST}
    assert set(services.dispatcher.kinds) == {*kinds, BROADCAST}
    assert services.dispatcher.kinds[DRIP] is services.drips


async def test_a_seat_taken_owes_reminders_and_follow_ups_until_it_is_given_up(
    settings: Settings, store: Store
) -> None:
    services = services_of(settings, store)
    [session] = settings.sessions
    ann, _ = await participants.seen(
        store,
        telegram_id=ANN,
        chat_id=ANN,
        first_name="Ann",
        last_name=None,
        username=None,
        language="en",
        now=NOW,
    )
    await services.desk.register(ann, session, Details("Ann", "ann@example.org"), NOW)
    owed = await outbox.for_participant(store, ANN)
    pending = {row.kind for row in owed if row.status is OutboxStatus.PENDING}
    assert {REMINDER, NUDGE, FOLLOWUP, AFTER} <= pending

    assert await services.desk.cancel(ann, session, NOW)
    owed = await outbox.for_participant(store, ANN)
    seat_bound = {REMINDER, NUDGE, FOLLOWUP, AFTER}
    assert not [r for r in owed if r.kind in seat_bound and r.status is OutboxStatus.PENDING]
