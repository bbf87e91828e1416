"""The pre-session digest: owed to every facilitator, sent once at its time, quoting only
what its authors allowed; /digest and `mooc-bot digest` make it on demand."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from bot.base.clock import ManualClock
from bot.base.settings import Settings
from bot.cli.facilitator import run_digest
from bot.sandbox import Person
from bot.sandbox.harness import Sandbox
from flows.content import load_content
from store import outbox
from tests.e2e.test_facilitators import FACILITATOR, configured, text_answer
from tests.e2e.test_registration import sign_up

SECOND = FACILITATOR + 1
HTML_LOOKING = "<script>alert('x')</script> & we <b>learn</b> 🌱"


async def answer_q1(person: Person, choice: str, words: str) -> None:
    """Question 1 only: the quick choice, then the words; the dialogue waits at question 2."""
    person.send("/reflect")
    person.press(choice, await person.expect("1/5"))
    await person.expect("What do you recognise")
    await text_answer(person, words)
    await person.expect("2/5")


async def seated(tg: Sandbox, name: str, choice: str, words: str) -> Person:
    person = tg.person(name)
    await answer_q1(person, choice, words)
    await sign_up(person, f"{name.lower()}@example.org")
    await person.expect("You're registered")
    return person


async def talking(tg: Sandbox) -> Person:
    """Fenna, the facilitator, has written to the bot (and that update is finished)."""
    fenna = tg.person("Fenna", user_id=FACILITATOR)
    fenna.send("/start")
    await fenna.expect()  # the welcome (or the welcome back)
    fenna.send("/help")  # one person's updates run in order: /start has finished
    await fenna.expect("What I can do")
    return fenna


def digests(person: Person) -> list[str]:
    return [m.shown_text for m in person.bot_messages() if "Digest:" in m.shown_text]


async def test_the_digest_arrives_once_at_its_time_with_the_figures_and_only_quotable_answers(
    settings: Settings, tmp_path: Path, clock: ManualClock
) -> None:
    db = tmp_path / "digest.sqlite3"
    one = configured(settings)
    two = one.roles.model_copy(update={"facilitators": [FACILITATOR, SECOND]})
    configured_settings = one.model_copy(update={"roles": two})
    session = configured_settings.sessions[0]
    async with Sandbox(configured_settings, db, clock=clock, poll_timeout=1) as tg:
        fenna = await talking(tg)  # her first message: the digest is owed to her from now on
        gert = tg.person("Gert", user_id=SECOND)  # a second facilitator, who writes once
        gert.send("/help")
        await gert.expect("What I can do")
        helped = [m.shown_text for m in fenna.bot_messages() if "What I can do" in m.shown_text]
        assert "/digest – Before the session: the figures" in helped[-1]
        assert "/attendance – After the session: mark who attended" in helped[-1]
        ann = await seated(tg, "Ann", "Yes", "Ann's words: " + HTML_LOOKING)
        ann.send("/myanswers")  # Ann allows quoting by name
        panel = await ann.expect("How your answers may be quoted")
        ann.press("1 · Recognise the problem?: 🕶 Quote me anonymously", panel)  # → private
        await tg.world.wait_for(
            lambda: "1 · Recognise the problem?: 🔒 For the organisers only" in panel.button_labels
        )
        ann.press("1 · Recognise the problem?: 🔒 For the organisers only", panel)  # → by name
        await tg.world.wait_for(
            lambda: "1 · Recognise the problem?: 🗣 Quote me by name" in panel.button_labels
        )
        await seated(tg, "Bea", "Partly", "Bea's words, anonymously")  # the default
        cas = await seated(tg, "Cas", "No", "Cas's words, for the organisers")
        cas.send("/myanswers")
        cas_panel = await cas.expect("How your answers may be quoted")
        cas.press("1 · Recognise the problem?: 🕶 Quote me anonymously", cas_panel)  # → private
        await tg.world.wait_for(
            lambda: (
                "1 · Recognise the problem?: 🔒 For the organisers only" in cas_panel.button_labels
            )
        )
        await seated(tg, "Eve", "Yes", "Eve's words")
        await answer_q1(tg.person("Dan"), "No", "Dan's words, not registered")

        rows = await outbox.pending_with_prefix(tg.store, "digest:")
        assert sorted((r.participant_id, r.due_at) for r in rows) == [
            (FACILITATOR, session.starts_at - timedelta(hours=2)),
            (SECOND, session.starts_at - timedelta(hours=2)),
        ]
        clock.set(session.starts_at - timedelta(hours=2, minutes=1))
        await tg.dispatch()
        assert digests(fenna) == []

        clock.set(session.starts_at - timedelta(hours=2))
        await tg.dispatch()
        summary = await fenna.expect("Digest:")
        page = await fenna.expect("the digest")
        assert (await gert.expect("Digest:")).shown_text == summary.shown_text  # the same digest
        gert_page = await gert.expect("the digest")
        assert gert_page.document is not None
        assert page.document is not None
        assert gert_page.document.data == page.document.data
        assert "4 seated · 0 answered all five · 3 answer(s) may be quoted" in summary.shown_text
        assert (
            "1 · Recognise the problem?: 4 answer(s) · 50 % Yes / 25 % Partly / 25 % No"
            in summary.shown_text
        )
        assert page.document is not None
        assert page.document.name == "digest-knowledge-sharing.html"
        html = page.document.data.decode("utf-8")
        assert "Ann&#39;s words: &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
        assert "<script>" not in html
        assert '— Ann · <span class="choice">Yes</span>' in html
        assert "Bea&#39;s words, anonymously" in html
        assert "— anonymous" in html
        assert "Bea" not in html.replace("Bea&#39;s words", "")
        assert "Cas" not in html  # kept for the organisers: counted, never shown
        assert "1 more answer(s) for the organisers only" in html
        assert "Dan" not in html  # not in this session
        assert "<b>50 %</b> Yes (2)" in html

        await tg.dispatch()  # due again? no: sent once
        assert len(digests(fenna)) == 1
        sent = await outbox.for_participant(tg.store, FACILITATOR)
        assert [(r.kind, r.status.value) for r in sent if r.kind == "digest"] == [
            ("digest", "sent")
        ]

        fenna.send("/digest all")  # on demand: everyone, Dan included
        everyone = await fenna.expect("Digest: All participants")
        assert "1 · Recognise the problem?: 5 answer(s) · 40 % Yes / 20 % Partly / 40 % No" in (
            everyone.shown_text
        )
        whole = await fenna.expect("the digest")
        assert whole.document is not None
        assert whole.document.name == "digest-everyone.html"
        assert "Dan&#39;s words" in whole.document.data.decode("utf-8")
        fenna.send("/digest nonsense")
        await fenna.expect("No session called nonsense. Choose one of: knowledge-sharing")
        ann.send("/digest")
        await ann.expect("I don't know the command /digest")
        ann.send("/help")
        assert "/digest" not in (await ann.expect("What I can do")).shown_text

    # A restart owes nothing new: the sent row is never queued again.
    async with Sandbox(configured_settings, db, clock=clock, poll_timeout=1) as again:
        await again.dispatch()
        assert await outbox.pending_with_prefix(again.store, "digest:") == []

    out = tmp_path / "digest.html"
    from_file = configured_settings.model_copy(update={"db": db})
    content = load_content(["en", "nl"], "en")
    # The command line, as `mooc-bot digest --out FILE --session ID` runs it (its own loop).
    assert await asyncio.to_thread(run_digest, from_file, content, out, "knowledge-sharing") == 0
    written = out.read_text(encoding="utf-8")
    assert "Bea&#39;s words, anonymously" in written
    assert "Dan&#39;s words" not in written
    assert "Cas&#39;s words" not in written
    assert await asyncio.to_thread(run_digest, from_file, content, out, "nonsense") == 2


async def test_a_moved_session_or_digests_turned_off_send_nothing_at_the_old_time(
    settings: Settings, tmp_path: Path, clock: ManualClock
) -> None:
    db = tmp_path / "moved.sqlite3"
    first = configured(settings)
    session = first.sessions[0]
    async with Sandbox(first, db, clock=clock, poll_timeout=1) as tg:
        await talking(tg)
        assert len(await outbox.pending_with_prefix(tg.store, "digest:")) == 1
    later = session.model_copy(update={"starts_at": session.starts_at + timedelta(days=1)})
    moved = first.model_copy(update={"sessions": [later]})
    async with Sandbox(moved, db, clock=clock, poll_timeout=1) as tg:
        fenna = await talking(tg)  # (a new local Telegram: she opens the chat again)
        clock.set(session.starts_at - timedelta(hours=2))  # the old time
        await tg.dispatch()
        assert digests(fenna) == []
        clock.set(later.starts_at - timedelta(hours=2))
        await tg.dispatch()
        await fenna.expect("Digest:")
        assert len(digests(fenna)) == 1
    # Another session owed a digest, then digests are turned off before it is due.
    clock.set(session.starts_at - timedelta(days=3))
    again = later.model_copy(update={"id": "second", "starts_at": later.starts_at})
    off = first.model_copy(
        update={"sessions": [again], "digest": first.digest.model_copy(update={"before": None})}
    )
    async with Sandbox(first.model_copy(update={"sessions": [again]}), db, clock=clock) as tg:
        assert len(await outbox.pending_with_prefix(tg.store, "digest:second:")) == 1
    async with Sandbox(off, db, clock=clock, poll_timeout=1) as tg:
        fenna = await talking(tg)
        clock.set(again.starts_at - timedelta(hours=2))
        await tg.dispatch()
        assert digests(fenna) == []
        assert await outbox.pending_with_prefix(tg.store, "digest:") == []
