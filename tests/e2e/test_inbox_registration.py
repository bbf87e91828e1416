"""Registration against kill -9: 60 people confirm for 40 seats while the bot is killed.

Real `mooc-bot run` processes against the local Bot API server. Everyone walks
through the sign-up form to its review first (one bot, no kills); then each
presses ✅ Confirm once, at a steady pace, while bots are started and SIGKILLed
at random moments; a last bot runs until everyone has their outcome. Everyone
registered or waitlisted must see exactly one confirmation or waitlist notice,
every seated person one calendar file and everyone one MOOC login code (the pool
holds 60), and the session is never over capacity.

`make test` runs MOOC_BOT_REG_KILLS (default 4) kills; MOOC_BOT_REG_KILLS=10 is
the full run the issue asks for; MOOC_BOT_REG_SEED changes the kill moments.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import sqlite3
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.sandbox import BotApiServer, Person, SimMessage
from bot.sandbox.limits import Limits
from store import logins, registrations
from store.db import Store, to_db
from store.registrations import RegistrationStatus
from tests.conftest import bot_running

TOKEN = "557:INBOX-REG-token"
KILLS = int(os.environ.get("MOOC_BOT_REG_KILLS", "4"))
SEED = int(os.environ.get("MOOC_BOT_REG_SEED", "40"))
PEOPLE = 60
SEATS = 40
PRESSES_PER_SECOND = 20.0
SESSION = "kill-test"
STEP_TIMEOUT = 90.0  # seconds for one bot answer while 60 people sign up at once

CONFIRMED = "You're registered for"
WAITLISTED = "You're on the waitlist"
LOGIN = re.compile(r"Your free MOOC login\s+Code: (\S+)")


def session_env() -> dict[str, str]:
    """One session a month ahead with 40 seats, replacing the shipped ones."""
    starts = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    session = {
        "id": SESSION,
        "title": "Kill-test session",
        "starts_at": starts.isoformat(),
        "timezone": "Europe/Amsterdam",
        "capacity": SEATS,
        "join_url": "https://meet.example.org/kill-test",
        "mooc_url": "https://mooc.example.org/kill-test",
    }
    return {"MOOC_BOT_SESSIONS": json.dumps([session])}


async def to_the_review(person: Person, email: str) -> SimMessage:
    """Every step of the sign-up but the last: ends at the review with ✅ Confirm."""
    person.send("/register")
    person.press("Done ✓", await person.expect("What name should we use", STEP_TIMEOUT))
    await person.expect("Your e-mail address?", STEP_TIMEOUT)
    person.send(email)
    await person.expect("Which organisation", STEP_TIMEOUT)
    person.send("Society for Organisational Learning NL")
    await person.expect("And your role there?", STEP_TIMEOUT)
    person.send("Facilitator 🌱")
    person.press("From daily practice", await person.expect("How do you know", STEP_TIMEOUT))
    person.press("Yes, I agree", await person.expect("May we store your answers", STEP_TIMEOUT))
    review = await person.expect("Your registration", STEP_TIMEOUT)
    assert "✅ Confirm" in review.button_labels, person.transcript()
    return review


def is_ics(message: SimMessage) -> bool:
    return message.document is not None and message.document.name.endswith(".ics")


class Seen:
    """What one person saw after pressing Confirm, as counts per kind of message."""

    def __init__(self, person: Person, after: int) -> None:
        later = [m for m in person.bot_messages() if m.message_id > after]
        self.confirmed = sum(CONFIRMED in m.shown_text for m in later)
        self.waitlisted = sum(WAITLISTED in m.shown_text for m in later)
        self.ics = sum(is_ics(m) for m in later)
        self.codes = [found.group(1) for m in later if (found := LOGIN.search(m.shown_text))]
        # Any message shown twice (same text, same file) counts as a duplicate.
        shown = Counter((m.shown_text, m.document.name if m.document else None) for m in later)
        self.duplicates = sum(n - 1 for n in shown.values())

    @property
    def complete(self) -> bool:
        """Everything this person is owed has arrived (at least once)."""
        if self.confirmed:
            return self.ics >= 1 and len(self.codes) >= 1
        return self.waitlisted >= 1 and len(self.codes) >= 1


def outbox_busy(db: Path) -> int:
    """Outbox rows due now that are not yet sent (pending, or mid-send)."""
    with sqlite3.connect(db, timeout=5) as conn:
        row = conn.execute(
            "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending') AND due_at <= ?",
            (to_db(datetime.now(UTC)),),
        ).fetchone()
    return int(row[0])


def inbox_pending(db: Path) -> int:
    with sqlite3.connect(db, timeout=5) as conn:
        row = conn.execute("SELECT COUNT(*) FROM inbox WHERE status != 'handled'").fetchone()
    return int(row[0])


async def until(condition: object, timeout: float) -> None:
    """Wait for a condition on the database (which the world cannot signal)."""
    assert callable(condition)
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.1)


async def test_confirming_for_the_last_seats_through_kills_confirms_each_exactly_once(
    tmp_path: Path,
) -> None:
    began = time.monotonic()
    db = tmp_path / "registration-kills.sqlite3"
    rng = random.Random(SEED)
    env = session_env()
    async with Store(db) as store:  # the pool before the start: a code for everyone
        codes = [f"MOOC-{n:03d}" for n in range(PEOPLE)]
        assert await logins.add_codes(store, codes, datetime.now(UTC)) == (PEOPLE, 0)
    # Telegram's 30 a second lets the setup's ~500 messages take 20 s; the bots pace
    # themselves (25 a second and one a second per chat) anyway.
    async with BotApiServer(TOKEN, limits=Limits(global_per_second=None)) as server:
        people = [Person.create(server.world, f"R{i:02d}") for i in range(PEOPLE)]
        async with bot_running(
            server.url, TOKEN, db, MOOC_BOT_BROADCAST__RATE_PER_SECOND="200", **env
        ) as setup:
            reviews = await asyncio.gather(
                *(to_the_review(p, f"r{i:02d}@example.org") for i, p in enumerate(people))
            )
            setup.send_signal(signal.SIGKILL)
            await setup.wait()
        last_seen = {p.user.id: p.bot_messages()[-1].message_id for p in people}
        set_up = time.monotonic()

        pressing_done = asyncio.Event()

        async def press_confirm() -> None:
            order = people[:]
            rng.shuffle(order)
            start = time.monotonic()
            for n, person in enumerate(order, start=1):
                person.press("✅ Confirm", reviews[people.index(person)])
                await asyncio.sleep(max(0.0, start + n / PRESSES_PER_SECOND - time.monotonic()))
            pressing_done.set()

        presser = asyncio.create_task(press_confirm())
        lives: list[float] = []
        for _ in range(KILLS):
            async with bot_running(server.url, TOKEN, db, **env) as bot:
                # Up for a random while: starting, polling, mid-backlog or mid-reply.
                lives.append(rng.uniform(0.5, 3.0))
                await asyncio.sleep(lives[-1])
                bot.send_signal(signal.SIGKILL)
                await bot.wait()
        await presser
        killed = time.monotonic()

        calls = len(server.world.started)
        async with bot_running(server.url, TOKEN, db, **env) as last:
            # Polling: started, its stop signal handled (everyone may be served already).
            await server.world.wait_for(
                lambda: any(c.method == "getUpdates" for c in server.world.started[calls:]),
                timeout=60,
            )
            await server.world.wait_for(
                lambda: all(Seen(p, last_seen[p.user.id]).complete for p in people),
                timeout=180,
            )
            await server.world.wait_for(lambda: not server.world.updates, timeout=30)
            # Whatever the outbox still owes (a reply sent twice, say) goes before the stop.
            await until(lambda: outbox_busy(db) == 0 and inbox_pending(db) == 0, timeout=60)
            last.send_signal(signal.SIGINT)
            assert await last.wait() == 0
    seen = {p.user.id: Seen(p, last_seen[p.user.id]) for p in people}

    async with Store(db) as store:
        everyone = await registrations.for_session(store, SESSION)
        held = {p.user.id: await logins.code_for(store, p.user.id) for p in people}
        live = {p.user.id: await registrations.live(store, p.user.id) for p in people}

    seated = {r.participant_id for r in everyone if r.status is RegistrationStatus.REGISTERED}
    queued = [r for r in everyone if r.status is RegistrationStatus.WAITLISTED]
    # A reply may arrive twice when a kill falls between Telegram taking it and the
    # outbox recording it; these are counted and printed (and must not happen to the
    # confirmation: it is asserted below to arrive exactly once).
    doubled = {
        p.user.first_name: seen[p.user.id].duplicates for p in people if seen[p.user.id].duplicates
    }
    notices = {
        p.user.first_name: seen[p.user.id].confirmed + seen[p.user.id].waitlisted
        for p in people
        if seen[p.user.id].confirmed + seen[p.user.id].waitlisted > 1
    }
    print(
        f"\n{KILLS} kills (seed {SEED}; lives {', '.join(f'{s:.1f}' for s in lives)} s): "
        f"{len(seated)} seated, {len(queued)} waitlisted; duplicates: "
        f"{sum(n - 1 for n in notices.values())} confirmation/waitlist notice(s) "
        f"{notices or ''}, {sum(doubled.values())} message(s) in all {doubled or ''}; "
        f"setup {set_up - began:.0f} s, kills {killed - set_up:.0f} s, "
        f"last bot {time.monotonic() - killed:.0f} s"
    )

    # The database: never over capacity, everyone exactly once, the waitlist in order.
    assert (len(seated), len(queued)) == (SEATS, PEOPLE - SEATS)
    assert len(everyone) == PEOPLE
    assert all(len(rows) == 1 for rows in live.values())
    assert [r.position for r in queued] == list(range(1, PEOPLE - SEATS + 1))
    assert [r.id for r in queued] == sorted(r.id for r in queued)
    assert max(r.id for r in everyone if r.participant_id in seated) < min(r.id for r in queued)
    given = [code for code in held.values() if code is not None]
    assert len(given) == len(set(given)) == PEOPLE  # everyone their own code, none twice

    # The chat: exactly one outcome each, agreeing with the database (nobody both);
    # the seated exactly one calendar file; everyone exactly one code, the one held.
    wrong = {}
    for person in people:
        mine, pid = seen[person.user.id], person.user.id
        outcome = (mine.confirmed, mine.waitlisted, mine.ics, mine.codes)
        seat = 1 if pid in seated else 0
        if outcome != (seat, 1 - seat, seat, [held[pid]]):
            wrong[person.user.first_name] = outcome
    assert not wrong, f"(confirmed, waitlisted, .ics, codes) per person: {wrong}"
