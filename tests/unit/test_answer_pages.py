"""Every message the bot builds fits Telegram's limits as Telegram counts them: UTF-16
code units of the text once its HTML is parsed. The /answers pages, the splitter every
long reply goes through, and the one measure both use, checked against the sandbox's
own parser (Telegram's HTML rules)."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.base.telegram_html import parse_html, utf16_len
from bot.base.telegram_text import MAX_TEXT, plain_cut, shown_length, split_html
from bot.reports.collected import Collected, Entry, Part
from bot.shell.handlers.answers import answer_pages, question_page, search_page
from flows.content import load_content
from flows.replies import Reply
from store.collected import Person
from store.consent import Quote

STRINGS = load_content(["en"], "en").strings("en")
QUESTION = "q1"
TITLE = "1 · Recognise the problem?"
WHEN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CONTINUES = parse_html(STRINGS("answers.continues"))[0]
CONTINUED = parse_html(STRINGS("answers.continued"))[0]

# Emoji of several code points (a ZWJ sequence with a skin tone, a flag, a keycap), one
# beyond the BMP, right-to-left script, text that looks like HTML, line breaks.
PIECES = ["👩🏽‍💻", "🎉", "🇳🇱", "1️⃣", "مرحبا", "שׁלום", "<b>&amp;", "&lt;", " ", "\n", "a", "é"]
answer_text = st.lists(st.sampled_from(PIECES), min_size=1, max_size=40).flatmap(
    lambda few: st.lists(st.sampled_from(few), min_size=1, max_size=1500).map("".join)
)
names = st.text(alphabet=st.sampled_from(["A", "n", "🎉", "<", "&", "ש", " "]), max_size=64)


def person(number: int, first_name: str) -> Person:
    return Person(number, number, first_name, "", "", "en", WHEN, False)


def collected(answers: list[tuple[str, str]]) -> Collected:
    """What /answers reads, made in memory: one answer to question 1 per person, newest
    first (each person's name starts with their number, so names differ)."""
    entries = [
        Entry(
            person(n, f"{n}{name}"),
            QUESTION,
            (Part("Why", text[:5000]),),
            WHEN - timedelta(minutes=n),
            Quote.ANONYMOUS,
        )
        for n, (name, text) in enumerate(answers, start=1)
    ]
    return Collected(
        people=[entry.person for entry in entries],
        questions=(QUESTION,),
        titles={QUESTION: TITLE},
        step_labels={QUESTION: [("q1why", "Why")]},
        entries={QUESTION: entries},
        values={},
        registrations=[],
        reads=[],
        anonymise=False,
    )


def walk(first: Reply, turn: Callable[[str], Reply], label: str = "Next") -> list[Reply]:
    """The pages as a facilitator sees them pressing `label` until there is none."""
    shown = [first]
    while data := [b.data for row in shown[-1].buttons for b in row if label in b.label]:
        assert len(shown) < 1000, f"{label} never ends"
        shown.append(turn(data[0]))
    return shown


def page_of(c: Collected) -> Callable[[str], Reply]:
    """What pressing a page button shows (its data: ans:q:<question>:<page>)."""
    return lambda data: question_page(c, STRINGS, QUESTION, int(data.rsplit(":", 1)[1]))


def pieces_of(pages: list[str]) -> dict[str, str]:
    """Each person's answer put together again from the pages' shown text (for answers
    without a blank line in them)."""
    found: dict[str, str] = {}
    for text in pages:
        for block in text.split("\n\n")[1:]:
            heading, said = block.split("\n", 1)
            name = heading.split(" · ")[0]
            if heading.endswith(CONTINUED):
                assert name in found, "a continuation comes after its beginning"
            found[name] = found.get(name, "") + said.removesuffix("\n" + CONTINUES)
    return found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(names, answer_text | st.just("🎉" * 2500) | st.just("👩🏽‍💻 " * 1000)),
        max_size=14,
    )
)
def test_every_answers_page_fits_telegram_and_together_they_hold_every_word(
    answers: list[tuple[str, str]],
) -> None:
    c = collected(answers)
    entries = c.entries[QUESTION]
    shown = walk(question_page(c, STRINGS, QUESTION, 0), page_of(c))
    for number, reply in enumerate(shown, start=1):
        assert reply.edit
        text, _ = parse_html(reply.html)  # as Telegram parses it (or it raises)
        assert utf16_len(text) <= MAX_TEXT
        assert f"page {number} of {len(shown)}" in text or not entries
    # Previous leads back from the last page to the first, through every one.
    back = walk(shown[-1], page_of(c), "Previous")
    assert len(back) == len(shown)
    assert all(a.html == b.html for a, b in zip(reversed(back), shown, strict=True))

    def head(at: int, pages: int) -> str:
        if not entries:
            return STRINGS("answers.none", title=TITLE)
        return STRINGS("answers.page", title=TITLE, count=len(entries), page=at + 1, pages=pages)

    pages = answer_pages(c, STRINGS, entries, head, with_question=False)
    assert len(pages) == len(shown)
    assert all(pages.html(n) == r.html for n, r in enumerate(shown))
    told: dict[int, str] = {}
    for number, pieces in enumerate(pages.pieces):
        text = parse_html(pages.html(number))[0]
        assert 1 <= len(pieces) <= 5 or not entries
        for piece in pieces:
            assert piece.text
            assert piece.text in text
            if piece.continues:
                assert f"{piece.text}\n{CONTINUES}" in text
            assert piece.continued == (piece.entry.person.number in told)
            told[piece.entry.person.number] = told.get(piece.entry.person.number, "") + piece.text
    assert sorted(told) == sorted(entry.person.number for entry in entries)
    lost = [entry.person.number for entry in entries if told[entry.person.number] != entry.text]
    assert lost == []  # not a word lost


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.just(""), answer_text | st.just("🎉<b>" * 1300)), max_size=12))
def test_search_pages_fit_too(answers: list[tuple[str, str]]) -> None:
    c = collected(answers)
    pages = walk(
        search_page(c, STRINGS, "🎉", 0),
        lambda data: search_page(c, STRINGS, data.split(":", 3)[3], int(data.split(":")[2])),
    )
    for reply in pages:
        assert utf16_len(parse_html(reply.html)[0]) <= MAX_TEXT


def test_five_long_emoji_answers_no_longer_make_one_page_too_long() -> None:
    """What broke /answers: five answers of 900 emoji (1,800 units each) on one page."""
    c = collected([(f"P{n}", "🎉" * 900) for n in range(5)])
    first = question_page(c, STRINGS, QUESTION, 0)
    assert utf16_len(parse_html(first.html)[0]) <= MAX_TEXT
    assert "page 1 of 3" in first.html


def test_an_answer_longer_than_a_page_goes_on_and_is_marked() -> None:
    c = collected([("Ann", "🎉" * 2500)])  # 5,000 units: more than one message holds
    one, two = (question_page(c, STRINGS, QUESTION, n) for n in (0, 1))
    assert "continues on the next page" in one.html
    assert "1Ann</b> · 1 Dec 2026 · 🕶 anonymously · <i>continued</i>" in two.html
    assert pieces_of([parse_html(r.html)[0] for r in (one, two)]) == {"1Ann": "🎉" * 2500}


html_text = st.lists(
    st.sampled_from(["a", " ", "\n", "🎉", "&", "<", "ש", "👩🏽‍💻", "🇳🇱"]), max_size=40
).map("".join)
markup = st.recursive(
    html_text.map(lambda t: html.escape(t, quote=False)),
    lambda inner: (
        st.tuples(st.sampled_from(["b", "i", "blockquote", "code"]), inner).map(
            lambda pair: f"<{pair[0]}>{pair[1]}</{pair[0]}>"
        )
        | st.lists(inner, max_size=4).map("".join)
    ),
    max_leaves=30,
)


@given(markup)
def test_shown_length_is_what_telegram_counts(source: str) -> None:
    assert shown_length(source) == utf16_len(parse_html(source)[0])


@settings(max_examples=200, deadline=None)
@given(st.lists(markup, max_size=6).map("\n".join), st.integers(min_value=8, max_value=400))
def test_split_html_makes_messages_that_each_parse_and_fit_and_lose_nothing(
    source: str, limit: int
) -> None:
    chunks = split_html(source, limit)
    shown = [parse_html(chunk)[0] for chunk in chunks]  # tags closed and opened again
    assert all(utf16_len(text) <= limit for text in shown)
    squeeze = str.maketrans("", "", "\n ")
    assert "".join(shown).translate(squeeze) == parse_html(source)[0].translate(squeeze)


def test_split_html_carries_an_open_tag_over_the_cut() -> None:
    quote = "<blockquote>" + "\n".join("🎉" * 30 for _ in range(100)) + "</blockquote>"
    chunks = split_html(quote, 500)
    assert len(chunks) > 1
    for chunk in chunks:
        text, entities = parse_html(chunk)
        assert utf16_len(text) <= 500
        assert entities[0]["type"] == "blockquote"


def test_split_html_counts_entities_as_one_character() -> None:
    escaped = "&amp;" * MAX_TEXT  # 20,480 characters of HTML, 4,096 once parsed
    assert split_html(escaped) == [escaped]
    assert len(split_html(escaped + "&amp;")) == 2


def test_a_cut_keeps_emoji_of_several_code_points_whole() -> None:
    family = "👩🏽‍💻"  # 4 code points, 7 UTF-16 units
    for room in range(7, 60):
        assert plain_cut(family * 10, room) % 4 == 0
    flags = "🇳🇱" * 10  # two regional indicators each
    assert all(plain_cut(flags, room) % 2 == 0 for room in range(4, 40))
    assert plain_cut("🎉" * 10, 5) == 2  # never half a surrogate pair
    assert plain_cut(family, 3) == 0
    assert plain_cut(family, 3, force=True) == 1
    assert plain_cut("word " * 20, 52) == 50  # after a space
