"""The audience registry: each audience has its label in content/, its SQL in store/, and
the composer and the command line offer the same ones."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.base.settings import Settings
from bot.cli.main import parser
from bot.services import audiences
from bot.services.audiences import AUDIENCES, Group, Takes
from bot.services.composer import with_session_audiences
from flows.content import load_content
from store import course, participants, registrations
from store.db import Store
from store.registrations import Details

CONTENT = load_content(["en", "nl"], "en")
NOW = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)


def _prefix(takes: Takes) -> str:
    return next(a.name for a in AUDIENCES if a.takes is takes)


def test_every_audience_has_its_label_in_every_language() -> None:
    for language in CONTENT.languages:
        own = CONTENT.strings(language).own
        for audience in AUDIENCES:
            assert (audience.label or f"broadcast.options.{audience.name}") in own, language


def test_every_offered_audience_is_found_again_from_its_stored_string(settings: Settings) -> None:
    offered = audiences.offered(CONTENT, settings)
    assert {_prefix(Takes.SESSION) + s.id for s in settings.sessions} <= set(offered)
    for name in offered:
        found = audiences.find(name)
        assert found is not None, name
        entry, argument = found
        assert entry.name + argument == name
        assert bool(argument) == (entry.takes is not None)
    assert audiences.find("no_such_audience") is None


def test_the_composer_offers_every_audience_the_command_line_takes(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = with_session_audiences(CONTENT, settings).flows["broadcast"]
    step = flow.step("audience")
    assert step is not None
    assert list(step.options) == list(audiences.offered(CONTENT, settings))
    with pytest.raises(SystemExit):
        parser().parse_args(["broadcast", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    named = ", ".join(audiences.fixed_names())
    assert f"{named} or {_prefix(Takes.SESSION)}<id>" in shown


def test_the_composer_keeps_the_basic_audiences_its_flow_file_chose(settings: Settings) -> None:
    flow = CONTENT.flows["broadcast"]
    step = flow.step("audience")
    assert step is not None
    trimmed = replace(
        flow,
        steps=tuple(
            replace(s, options=("everyone", "registered")) if s.id == "audience" else s
            for s in flow.steps
        ),
    )
    content = replace(CONTENT, flows={**CONTENT.flows, "broadcast": trimmed})
    shown = with_session_audiences(content, settings).flows["broadcast"].step("audience")
    assert shown is not None
    basic = [name for name in shown.options if audiences.group_of(name) is Group.BASIC]
    assert basic == ["everyone", "registered"]
    assert f"session_{settings.sessions[0].id}" in shown.options


async def test_every_offered_audience_selects_its_people(store: Store, settings: Settings) -> None:
    for telegram_id in (1, 2):
        await participants.seen(
            store,
            telegram_id=telegram_id,
            chat_id=telegram_id,
            first_name="P",
            last_name=None,
            username=None,
            language="en",
            now=NOW,
        )
    session = settings.sessions[0]
    await registrations.register(
        store,
        participant_id=1,
        session_id=session.id,
        capacity=None,
        details=Details(name="P", email="p1@example.org"),
        now=NOW,
    )
    section = CONTENT.course("en").sections[0].id
    await course.save(store, 2, section_id=section, card=0, finished=frozenset({section}), now=NOW)

    async def who(audience: str) -> list[int]:
        return await audiences.recipients(
            store, audience, staff=(), reflections=CONTENT.reflection_ids
        )

    for name in audiences.offered(CONTENT, settings):  # the store has SQL for each
        assert set(await who(name)) <= {1, 2}, name
    assert await who(_prefix(Takes.SESSION) + session.id) == [1]
    assert await who(_prefix(Takes.SECTION) + section) == [2]
    assert await who("everyone") == [1, 2]
