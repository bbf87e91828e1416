"""Random sequences of updates against the real bot (hypothesis).

Two participants send text, commands, stickers, edits of old messages, messages
in a group, presses of real buttons (old ones too) and forged callback data, in
any order and as fast as they can. Whatever they do:
  - no handler fails (the error handler is never reached),
  - nobody is left stuck: afterwards /start brings the menu and /reflect answers,
  - a third participant, who is not taking part, keeps every row exactly as it was,
    even against forged buttons that carry his id and join time.
More examples: FUZZ_EXAMPLES=200 make test (each example is a fresh bot, about 3 s).
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.base.clock import ManualClock
from bot.base.settings import Settings, load_settings
from bot.sandbox import Person
from bot.sandbox.harness import Sandbox
from store import inbox
from store.privacy import everything
from tests.conftest import ROOT
from tests.e2e.conftest import MORNING
from tests.e2e.test_registration import sign_up

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))

TRICKY = [
    "",
    " ",
    "<b>not bold</b> & <script>x</script>",
    "مرحبا بالعالم — שלום",
    "🌱🙏🏽👩‍👩‍👧",
    "=SUM(A1:A9)",
    "Yes",
    "Done ✓",
    "Klaar ✓",
    "x" * 5000,
]
COMMANDS = [
    "/start", "/menu", "/help", "/status", "/course", "/sections", "/language", "/reflect",
    "/myanswers", "/register", "/cancel", "/pause", "/resume", "/reminders off", "/mydata",
    "/forget", "/answers", "/export", "/stats", "/broadcast", "/broadcasts", "/invite organiser",
    "/start reg", "/start inv_forged", "/nonsense", "/start@some_other_bot",
]  # fmt: skip
PREFIXES = [  # every kind of button's (flows/callback_data.py)
    "f:", "r:", "reg:s:", "reg:w:", "reg:c:", "reg:x", "reg:k", "c:", "lang:", "menu:", "qc:",
    "after:", "bcx:", "bca:", "rgl:", "ans:", "at:", "fg:y:", "fg:n:",
]  # fmt: skip
ZED = 7_777_001

texts = st.one_of(st.sampled_from(TRICKY), st.text(max_size=80))
forged = st.one_of(
    st.text(max_size=64),
    st.builds(lambda p, s: (p + s)[:64], st.sampled_from(PREFIXES), st.text(max_size=40)),
    st.sampled_from(["fg:y:{zed_joined}", "bcx:p:1", "ans:q:q1:0", "reg:s:knowledge-sharing"]),
)
who = st.integers(0, 1)
actions = st.lists(
    st.one_of(
        st.tuples(st.just("text"), who, texts),
        st.tuples(st.just("command"), who, st.sampled_from(COMMANDS)),
        st.tuples(st.just("press"), who, st.integers(0, 1000)),
        st.tuples(st.just("forge"), who, forged),
        st.tuples(st.just("sticker"), who, st.just("")),
        st.tuples(st.just("edit"), who, texts),
        st.tuples(st.just("group"), who, st.one_of(texts, st.sampled_from(COMMANDS))),
    ),
    min_size=3,
    max_size=25,
)


class Failures(logging.Handler):
    """Every ERROR the bot logs while the example runs."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(record.getMessage())


def act(tg: Sandbox, person: Person, kind: str, payload: Any, zed_joined: str) -> None:
    if kind in ("text", "edit", "group") and not payload.strip():
        payload = "…"  # Telegram sends no message of only spaces
    if kind in ("text", "command"):
        person.send(payload)
    elif kind == "sticker":
        person.send_sticker()
    elif kind == "edit":
        own = [m for m in person.messages() if not m.from_bot and m.text]
        if own:
            person.edit(own[len(payload) % len(own)], payload)
    elif kind == "group":
        person.send(payload, chat=tg.world.add_group("Fans"))
    else:
        buttons = [
            (message, button["callback_data"])
            for message in person.bot_messages()
            for row in message.buttons
            for button in row
            if "callback_data" in button
        ]
        if kind == "press" and buttons:
            message, data = buttons[payload % len(buttons)]
            person.press_data(message, data)
        elif kind == "forge" and person.bot_messages():
            data = payload.replace("{zed_joined}", zed_joined)
            person.press_data(person.bot_messages()[-1], data or "x")


async def play(steps: list[tuple[str, int, Any]], folder: Path) -> None:
    base = load_settings(ROOT / "settings.toml")
    failures = Failures()
    logging.getLogger("bot").addHandler(failures)
    try:
        async with Sandbox(
            base, folder / "fuzz.sqlite3", clock=ManualClock(MORNING), poll_timeout=1
        ) as tg:
            zed = tg.person("Zed", user_id=ZED)
            zed.send("/reflect")
            zed.press("Yes", await zed.expect("1/5"))
            await zed.expect("What do you recognise")
            await sign_up(zed, "zed@example.org")
            await zed.expect("You're registered")
            await tg.dispatch()
            before = await everything(tg.store, ZED)
            joined = str(before["participants"][0]["joined_at"])

            people = [tg.person("Ann"), tg.person("Bram", language_code="nl")]
            for kind, index, payload in steps:
                act(tg, people[index], kind, payload, joined)
                await tg.world.wait_for(lambda: not tg.world.updates)  # taken by the bot

            for person in people:  # nobody is stuck, and all they sent has been handled
                for command, answers_with in (
                    ("/start", ("What would you like to do?", "Waar wil je mee verder?")),
                    ("/reflect", ("",)),  # a question, the review, or "already answered"
                ):
                    seen = len(person.bot_messages())
                    person.send(command)
                    await tg.world.wait_for(
                        lambda p=person, n=seen, w=answers_with: any(  # type: ignore[misc]
                            text in m.shown_text for m in p.bot_messages()[n:] for text in w
                        ),
                        30,
                    )
            await tg.dispatch()
            after = await everything(tg.store, ZED)
    finally:
        logging.getLogger("bot").removeHandler(failures)
    assert [f for f in failures.seen if "handler failed" in f] == []
    assert after == before


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions)
def test_random_updates_never_crash_strand_or_touch_anyone_else(
    steps: list[tuple[str, int, Any]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(play(steps, Path(folder)))


FORGED_PAGES = {  # digits int() refuses ("²") or takes ("١"), too many, parts missing
    "facilitator": [
        "ans:q:q1:²", "ans:s:²:word", "ans:q:q1:١", "ans:q:q1:-1", "ans:q:q1: 1",
        "ans:s:99999999999999999999:word", "ans:q", "ans:s:1", "ans:",
    ],
    "organiser": ["bcx:p:²", "bcx:p", "bcx:x:١", "bcx:r:+1", "bcx:p:99999999999999999999", "bcx:"],
}  # fmt: skip


async def test_forged_page_and_broadcast_presses_get_a_toast_and_park_nothing(
    settings: Settings, tmp_path: Path, clock: ManualClock
) -> None:
    fenna_id, olivia_id = 9200001, 9200002
    roles = settings.roles.model_copy(
        update={"facilitators": [fenna_id], "organisers": [olivia_id]}
    )
    configured = settings.model_copy(update={"roles": roles})
    async with Sandbox(configured, tmp_path / "f.sqlite3", clock=clock, poll_timeout=1) as tg:
        fenna, olivia = tg.person("Fenna", user_id=fenna_id), tg.person("Olivia", user_id=olivia_id)
        fenna.send("/answers")
        olivia.send("/broadcasts")
        pages = {
            "facilitator": (fenna, await fenna.expect()),
            "organiser": (olivia, await olivia.expect()),
        }
        for role, forged_data in FORGED_PAGES.items():
            person, page = pages[role]
            for data in forged_data:
                toasts = len(person.user.toasts)
                person.press_data(page, data)
                await tg.world.wait_for(lambda p=person, n=toasts: len(p.user.toasts) > n)  # type: ignore[misc]
        await tg.world.wait_for(lambda: not tg.world.updates)
        await tg.dispatch()
        for person in (fenna, olivia):
            assert not any("went wrong" in m.shown_text for m in person.bot_messages())
        assert await inbox.parked(tg.store) == []
