"""After /forget or the retention period, no byte of what a person typed, their name or
their e-mail is left in the database file or its WAL."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.base.clock import ManualClock
from bot.base.settings import Settings
from bot.sandbox import Person
from bot.sandbox.harness import Sandbox
from bot.services.privacy import purge
from store import participants
from tests.e2e.test_facilitators import configured, reflect
from tests.e2e.test_registration import sign_up

# Words nobody else in the database has: each must vanish from the files.
SECRETS = {
    "first name": "Zorblattine",
    "last name": "Quixfeldt",
    "username": "zorbquix",
    "e-mail": "zorblattine.q@wobbleton.example",
    "organisation": "Wobbleton Snorkel Guild",
    "role": "Chief Kumquatarian",
    "answer": "plumquat recognition",
    "long answer": "marmalision " * 240,
}
TYPED = {
    "q1why": SECRETS["answer"],
    "q3why": "fizzlewick tangerines 🍊 ومرحبا",
    "q4": SECRETS["long answer"],
    "q5": "the grumbleberry finale",
}


def files(db: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (db, db.with_name(db.name + "-wal")) if p.exists()}


def left(db: Path, *more: str) -> dict[str, list[str]]:
    """Which of the person's words (and `more`, such as their id) each file still holds."""
    words = {**SECRETS, **{f"typed {k}": v for k, v in TYPED.items()}, **{m: m for m in more}}
    found = {
        name: [label for label, word in words.items() if word.strip().encode() in data]
        for name, data in files(db).items()
    }
    return {name: labels for name, labels in found.items() if labels}


async def clean(db: Path, *more: str) -> dict[str, list[str]]:
    """What the files still hold once the bot has finished what is in hand (the last
    update's handling, its reply's delivery record): waited for, up to ten seconds."""
    found = left(db, *more)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(10):
            while found:
                await asyncio.sleep(0.05)
                found = left(db, *more)
    return found


async def someone_who_gave_everything(tg: Sandbox) -> Person:
    zora = tg.person(
        SECRETS["first name"], last_name=SECRETS["last name"], username=SECRETS["username"]
    )
    await reflect(zora, TYPED)
    await sign_up(
        zora, SECRETS["e-mail"], organisation=SECRETS["organisation"], role=SECRETS["role"]
    )
    await zora.expect("You're registered")
    other = tg.person("Bea")  # the database goes on holding someone else
    await reflect(other, {k: f"bea's own words {k}" for k in TYPED})
    await tg.settle()
    return zora


@pytest.fixture
async def tg(settings: Settings, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Sandbox]:
    async with Sandbox(
        configured(settings), tmp_path / "d.sqlite3", clock=clock, poll_timeout=1
    ) as box:
        yield box


async def test_forget_leaves_no_byte_of_the_person_in_the_database_or_its_wal(
    tg: Sandbox, tmp_path: Path
) -> None:
    db = tmp_path / "d.sqlite3"
    zora = await someone_who_gave_everything(tg)
    before = left(db)
    assert set(before.get("d.sqlite3-wal", [])) | set(before.get("d.sqlite3", [])) >= set(
        SECRETS
    )  # the search finds them while they are there
    zora.send("/forget")
    zora.press("🗑 Yes, delete everything", await zora.expect("Delete everything"))
    await zora.expect("everything I held about you is deleted")
    await tg.settle()
    # Not even her id as text: the reply to /forget named her in its key until delivered.
    assert await clean(db, str(zora.user.id)) == {}
    # Blocking the bot afterwards is not writing to it: she is not stored again.
    zora.block()
    await tg.settle()
    assert await participants.get(tg.store, zora.user.id) is None
    assert await clean(db, str(zora.user.id)) == {}
    # …and after more people write, nothing comes back from a page written before.
    for n in range(3):
        await reflect(tg.person(f"After {n}"), {k: f"later words {n} {k}" for k in TYPED})
    await tg.settle()
    assert await clean(db) == {}


async def test_retention_leaves_no_byte_of_the_person_either(tg: Sandbox, tmp_path: Path) -> None:
    db = tmp_path / "d.sqlite3"
    await someone_who_gave_everything(tg)
    assert tg.app is not None
    session = tg.settings.sessions[0]
    ended = session.starts_at + timedelta(minutes=session.duration_minutes)
    kept = tg.settings.model_copy(
        update={"privacy": tg.settings.privacy.model_copy(update={"delete_after_days": 30})}
    )
    assert await purge(tg.app.bot_data.desk, kept, ended + timedelta(days=31)) >= 1
    await tg.settle()
    assert await clean(db) == {}
