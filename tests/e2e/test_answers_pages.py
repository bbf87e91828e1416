"""/answers over emoji-heavy, long answers, through the real bot and the local Telegram:
every page it edits in place fits Telegram's 4096 (UTF-16 units after parsing), and
paging to the last page and back shows every word of every answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.base.clock import ManualClock
from bot.base.settings import Settings
from bot.base.telegram_html import utf16_len
from bot.sandbox import Person
from bot.sandbox.harness import Sandbox
from tests.e2e.test_facilitators import configured, facilitator

# 18 code points, 28 UTF-16 units: a person at a laptop (4 code points, 7 units), party
# poppers beyond the BMP, Arabic (right to left).
HEAVY = "🎉👩🏽‍💻🎉🎉🎉🎉🎉🎉 مرحبا "
MESSAGE = 80  # repetitions a message: 2,240 units, within what one Telegram message holds
CONTINUES = "\n⤵ continues on the next page"


@pytest.fixture
async def tg(settings: Settings, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Sandbox]:
    async with Sandbox(
        configured(settings), tmp_path / "pages.sqlite3", clock=clock, poll_timeout=1
    ) as box:
        yield box


async def answer_at_length(person: Person, repetitions: int) -> str:
    """Question 1: "Yes", then words typed over as many messages as they need (an answer
    holds at most 3,000 characters); the answer as /answers shows it."""
    person.send("/reflect")
    person.press("Yes", await person.expect("1/5"))
    await person.expect("What do you recognise")
    typed = []
    for start in range(0, repetitions, MESSAGE):
        text = f"<b>&amp; {person.user.first_name}</b> " + HEAVY * min(MESSAGE, repetitions - start)
        assert utf16_len(text) <= 4096
        person.send(text)
        await person.expect("Noted ✓")
        typed.append(text)
    person.press("Done ✓")
    await person.expect("2/5")
    return "Yes — " + "\n".join(typed)


def put_together(pages: list[str]) -> dict[str, str]:
    """Each person's answer from the pages' shown text: a block is its heading, a line
    break and the words (a part's own heading says "continued"; these answers hold no
    blank line)."""
    found: dict[str, str] = {}
    for text in pages:
        # The marker ends the page; the part before it may end with a line break.
        for block in text.removesuffix(CONTINUES).split("\n\n")[1:]:
            heading, said = block.split("\n", 1)
            name = heading.split(" · ")[0]
            assert (name in found) == heading.endswith(" · continued")
            found[name] = found.get(name, "") + said
    return found


async def test_answers_page_through_long_emoji_answers_to_the_last_page_and_back(
    tg: Sandbox,
) -> None:
    sizes = [100, 40, 160, 60, 80, 20, 120]  # 160: 4,480 units, longer than a message
    typed = {
        f"P{n}": await answer_at_length(tg.person(f"P{n}"), size)
        for n, size in enumerate(sizes, start=1)
    }
    fenna = facilitator(tg)
    fenna.send("/answers")
    pager = await fenna.expect("Which question?")
    fenna.press("1 · Recognise the problem? (7)", pager)
    await fenna.expect_edit(pager, "7 answer(s), newest first · page 1 of ")
    count = int(pager.shown_text.split("page 1 of ", 1)[1].split("\n", 1)[0])
    assert count >= 4  # 7 answers of 1,000 to 4,500 units: never five on a page
    pages = [pager.shown_text]
    for number in range(2, count + 1):
        fenna.press("Next ▶", pager)
        await fenna.expect_edit(pager, f"page {number} of {count}")
        pages.append(pager.shown_text)
    assert pager.button_labels == ["◀ Previous", "☰ Questions"]  # the last page
    for number in range(count - 1, 0, -1):
        fenna.press("◀ Previous", pager)
        await fenna.expect_edit(pager, f"page {number} of {count}")
        assert pager.shown_text == pages[number - 1], f"page {number} changed"
    assert pager.button_labels == ["Next ▶", "☰ Questions"]  # the first page again
    assert all(utf16_len(page) <= 4096 for page in pages)
    assert any(CONTINUES in page for page in pages)  # P3's answer went on over two
    shown = put_together(pages)
    assert sorted(shown) == sorted(typed)
    # Every word of every answer, once (names only when not: a diff of these is slow).
    assert [name for name, words in typed.items() if shown[name] != words] == []
    assert not [m for m in fenna.bot_messages() if "went wrong" in m.shown_text]
    assert [m.shown_text for m in fenna.bot_messages()][-1] == pages[0]  # edited in place
