"""A second reflection flow, for one session, added as a TOML file and strings only: a
participant of that session is asked its questions and their answers are its own; anyone
else still gets the first."""

from __future__ import annotations

from pathlib import Path

from bot.base.clock import ManualClock
from bot.base.settings import Settings
from bot.sandbox import Person
from bot.sandbox.harness import Sandbox
from store import answers, registrations
from store.registrations import Details
from tests.second_reflection import MARK, SECOND, content_with_second_reflection

FIRST = "reflection"  # the shipped flow: for every session the second does not name


async def stored(tg: Sandbox, person: Person, flow_id: str) -> dict[str, str]:
    found = await answers.latest(tg.store, person.user.id, flow_id)
    return {step: answer.value for step, answer in found.items()}


async def reflect_on_the_first_question(
    tg: Sandbox, person: Person, flow_id: str, words: str
) -> str:
    """/reflect, Yes to the first question of `flow_id`, a few words and Done; the intro."""
    assert tg.app is not None
    content = tg.app.bot_data.content
    strings = content.strings("en")
    person.send("/reflect")
    intro = await person.expect()
    first = await person.expect()
    person.press(strings.plain(f"{content.flows[flow_id].strings}.options.yes"), first)
    await person.expect_edit(first)
    await person.expect()  # the "why" of the first question
    person.send(words)
    noted = await person.expect()
    person.press(strings.plain("flow.done"), noted)
    await person.expect()  # the second question: the first is saved
    return intro.shown_text


async def test_a_participant_of_the_linked_session_answers_the_second_flow(
    settings: Settings, tmp_path: Path, clock: ManualClock
) -> None:
    session = settings.sessions[0].id
    root = content_with_second_reflection(tmp_path / "content", session=session)
    with_content = settings.model_copy(update={"content": root})
    async with Sandbox(with_content, tmp_path / "e2e.sqlite3", clock=clock, poll_timeout=1) as tg:
        ann, bo = tg.person("Ann"), tg.person("Bo")
        for person in (ann, bo):
            person.send("/start")
            await person.expect()
        await registrations.register(
            tg.store,
            participant_id=bo.user.id,
            session_id=session,
            capacity=100,
            details=Details("Bo", "bo@example.org", "", "", "practice"),
            now=clock.now(),
        )
        # Bo is in the session the second flow names; Ann in none: the first flow.
        assert MARK in await reflect_on_the_first_question(tg, bo, SECOND, "It clicked.")
        assert MARK not in await reflect_on_the_first_question(tg, ann, FIRST, "Clear at once.")
        assert await stored(tg, bo, SECOND) == {"bq1": "yes", "bq1why": "It clicked."}
        assert await stored(tg, bo, FIRST) == {}
        assert await stored(tg, ann, FIRST) == {"q1": "yes", "q1why": "Clear at once."}
        assert await stored(tg, ann, SECOND) == {}
