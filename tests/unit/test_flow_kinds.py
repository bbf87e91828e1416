"""A flow's kind is declared in its TOML, and a second reflection flow (for a second
session) is a TOML file plus strings: it loads, its answers are stored under its own id,
and the facilitators' collection, export and audiences read them as reflection answers."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli.content_check import check_content
from bot.reports.collected import collect
from bot.reports.export import write_exports
from flows.content import ContentError, load_content
from flows.engine import advance
from flows.model import Begin, Event, Flow, FlowKind, FlowState, Phase, Press, Text
from flows.strings import Strings
from store import answers, participants, registrations
from store.broadcasts import audience_ids
from store.db import Store
from store.registrations import Details
from tests.second_reflection import (
    ROOT,
    SECOND,
    SESSION,
    content_with_second_reflection,
)

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
FIRST_SESSION = "s1"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(ROOT / "content", folder)
    return folder


def problems(root: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_content(["en", "nl"], "en", root=root)
    return caught.value.lines


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_every_shipped_flow_declares_its_kind() -> None:
    content = load_content(["en", "nl"], "en")
    assert {flow.id: flow.kind for flow in content.flows.values()} == {
        "after": FlowKind.AFTER,
        "broadcast": FlowKind.BROADCAST,
        "reflection": FlowKind.REFLECTION,
        "registration": FlowKind.REGISTRATION,
    }
    assert content.reflection_ids == ("reflection",)
    assert content.reflection_for([FIRST_SESSION]) is content.flows["reflection"]


def test_an_unknown_kind_is_one_line_with_file_and_line(copy: Path) -> None:
    path = copy / "flows" / "after.toml"
    path.write_text(path.read_text().replace('kind = "after"', 'kind = "afterwards"'))
    kinds = ", ".join(FlowKind)
    assert problems(copy) == [
        f"{path}:{line_of(path, 'kind = ')}: kind must be one of {kinds} (got 'afterwards')"
    ]


def test_flow_files_from_before_kind_existed_are_known_by_their_id(copy: Path) -> None:
    for path in (copy / "flows").glob("*.toml"):
        top, steps = path.read_text().split("[[", 1)
        top = "".join(line for line in top.splitlines(True) if not line.startswith("kind ="))
        path.write_text(f"{top}[[{steps}")
    content = load_content(["en", "nl"], "en", root=copy)
    assert {flow.id: flow.kind for flow in content.flows.values()} == {
        kind.value: kind for kind in FlowKind
    }


def test_a_missing_kind_beside_an_id_of_its_own_is_one_line(copy: Path) -> None:
    path = copy / "flows" / "broadcast.toml"
    text = path.read_text().replace('kind = "broadcast"\n', "")
    path.write_text(text.replace('id = "broadcast"', 'id = "news"'))
    assert f"{path}:1: kind must be one of {', '.join(FlowKind)} (got missing)" in problems(copy)


def test_an_exit_button_no_button_of_the_bot_is_one_line(copy: Path) -> None:
    path = copy / "flows" / "reflection.toml"
    path.write_text(path.read_text().replace('data = "c:r"', 'data = "c:j"'))
    [problem] = problems(copy)
    assert problem.startswith(f"{path}:{line_of(path, '[[exit_buttons]]')}: exit button data 'c:j'")


def test_a_string_an_older_copy_of_content_lacks_is_the_shipped_one(copy: Path) -> None:
    english = copy / "en" / "strings.toml"
    english.write_text(english.read_text().replace('session = "📅 {title}"', ""))
    content = load_content(["en", "nl"], "en", root=copy)
    assert content.strings("en").plain("broadcast.session") == "📅 {title}"


def test_a_copied_reflection_flow_must_say_its_sessions_and_have_its_own_code(
    tmp_path: Path,
) -> None:
    root = content_with_second_reflection(tmp_path / "content")
    path, first = root / "flows" / f"{SECOND}.toml", root / "flows" / "reflection.toml"
    text = path.read_text().replace(f'sessions = ["{SESSION}"]\n', "")
    path.write_text(text.replace('code = "rb"', 'code = "rf"'))
    assert problems(root) == [
        f"{path}:{line_of(path, 'code = ')}: flow code 'rf' is used twice",
        f"{path}:{line_of(path, 'kind = ')}: a second reflection flow for every session"
        f' (the first is {first}): say which it is for, like sessions = ["s2"]',
    ]


def test_reflection_flows_are_read_together_so_their_step_ids_differ(tmp_path: Path) -> None:
    root = content_with_second_reflection(tmp_path / "content")
    path = root / "flows" / f"{SECOND}.toml"
    path.write_text(path.read_text().replace('id = "bq4"', 'id = "q4"'))
    line = line_of(path, 'id = "q4"')
    assert problems(root) == [
        f"{path}:{line}: step id 'q4' is in"
        f" {root / 'flows' / 'reflection.toml'} too (reflection flows are read together:"
        " give it another id)"
    ]


def test_a_kind_the_bot_has_one_of_keeps_its_id(copy: Path) -> None:
    path = copy / "flows" / "after.toml"
    path.write_text(path.read_text().replace('kind = "after"', 'kind = "broadcast"'))
    assert problems(copy) == [
        f"{path}:{line_of(path, 'kind = ')}: the flow of kind broadcast must have id 'broadcast'"
        " (the bot has one)"
    ]


def test_the_second_reflection_flow_loads_for_its_session(tmp_path: Path) -> None:
    content = load_content(["en", "nl"], "en", root=content_with_second_reflection(tmp_path / "c"))
    assert content.reflection_ids == ("reflection", SECOND)
    assert content.reflection_for([SESSION]).id == SECOND
    assert content.reflection_for([FIRST_SESSION]).id == "reflection"
    assert content.reflection_for([]).id == "reflection"
    # The same five questions of the course, asked in either flow.
    assert content.question_ids == content.flows["reflection"].questions
    assert content.flows[SECOND].questions == content.question_ids


def test_a_session_the_settings_do_not_have_is_a_content_error(tmp_path: Path) -> None:
    root = content_with_second_reflection(tmp_path / "content")
    assert check_content(["en", "nl"], "en", root, sessions=[SESSION]).errors == []
    assert check_content(["en", "nl"], "en", root, sessions=[FIRST_SESSION]).errors == [
        f"{root / 'flows'}: flow {SECOND!r}: sessions: {SESSION!r} is not a session of the settings"
    ]


async def answer(
    store: Store, pid: int, flow: Flow, events: list[Event], strings: Strings
) -> FlowState:
    """What the shell does for each event: advance, then save the state and what changed."""
    state = FlowState(flow.id)
    for n, event in enumerate(events):
        after, _ = advance(flow, state, event, strings)
        changed = {
            step_id: (step.question, value)
            for step_id, value in after.answers.items()
            if state.answers.get(step_id) != value and (step := flow.step(step_id)) is not None
        }
        await answers.save_step(
            store,
            pid,
            flow.id,
            state=after.to_json(),
            listening=after.listening,
            changed=changed,
            now=NOW + timedelta(minutes=n),
        )
        state = after
    return state


async def person(store: Store, pid: int, name: str, session: str) -> None:
    await participants.seen(
        store,
        telegram_id=pid,
        chat_id=pid,
        first_name=name,
        last_name=None,
        username=None,
        language="en",
        now=NOW,
    )
    details = Details(name, f"{name.lower()}@example.org", "", "", "practice")
    await registrations.register(
        store, participant_id=pid, session_id=session, capacity=10, details=details, now=NOW
    )


async def test_answers_of_the_second_flow_are_its_own_and_read_as_reflections(
    tmp_path: Path,
) -> None:
    content = load_content(["en"], "en", root=content_with_second_reflection(tmp_path / "c"))
    strings = content.strings("en")
    ann, bo, cy = 7_000_001, 7_000_002, 7_000_003
    said = {ann: "Clear from the first slide.", bo: "The second session made it click."}
    async with Store(tmp_path / "kinds.sqlite3") as store:
        await person(store, ann, "Ann", FIRST_SESSION)
        await person(store, bo, "Bo", SESSION)
        await person(store, cy, "Cy", SESSION)  # registered, nothing answered yet
        for pid, session in ((ann, FIRST_SESSION), (bo, SESSION)):
            flow = content.reflection_for([session])
            first, why = flow.steps[0], flow.steps[1]
            rest = [  # the other questions: a skip where one may, else the first choice
                Press("s", step.id) if step.skippable else Press("c", step.id, step.values()[0])
                for step in flow.steps[2:]
            ]
            events: list[Event] = [Begin(), Press("c", first.id, "yes"), Text(said[pid])]
            events += [Press("d", why.id), *rest, Press("k", "review")]
            done = await answer(store, pid, flow, events, strings)
            assert done.phase is Phase.DONE
        # Stored under each one's own flow id, nothing under the other.
        second = content.flows[SECOND]
        assert set(await answers.latest(store, bo, SECOND)) == {s.id for s in second.steps}
        assert await answers.latest(store, bo, "reflection") == {}
        assert await answers.latest(store, ann, SECOND) == {}
        assert (await answers.latest(store, ann, "reflection"))["q1why"].value == said[ann]
        assert (await answers.latest(store, bo, SECOND))["bq1why"].value == said[bo]
        # The audiences read every reflection flow: Bo has answered and finished.
        ids = content.reflection_ids
        assert await audience_ids(store, "not_started", staff=(), reflections=ids) == [cy]
        assert await audience_ids(store, "missing_q1", staff=(), reflections=ids) == [cy]
        assert await audience_ids(store, "unfinished", staff=(), reflections=ids) == [cy]
        c = await collect(store, content, strings, anonymise=False)
    yes = strings.plain(f"{SECOND}.options.yes")
    by_person = {entry.person.telegram_id: entry for entry in c.entries["q1"]}
    assert set(by_person) == {ann, bo}
    assert [part.value for part in by_person[bo].parts if part.value] == [yes, said[bo]]
    assert {"bq1": yes, "bq1why": said[bo]}.items() <= c.values[bo].items()
    _, table = write_exports(c, strings, {}, tmp_path / "out")
    rows = list(csv.DictReader(io.StringIO(table.read_text(encoding="utf-8-sig"), newline="")))
    answered = {
        (row[strings.plain("export.participant")], row[strings.plain("export.answer")])
        for row in rows
    }
    assert ("Bo", said[bo]) in answered
    assert ("Ann", said[ann]) in answered
