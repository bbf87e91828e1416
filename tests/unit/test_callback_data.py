"""The callback-data codec: every button the bot can make reads back and fits in 64 bytes;
decode never raises, refuses what no button carries, and has one spelling per value."""

from __future__ import annotations

import string
from collections.abc import Iterator
from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.shell.handlers.answers import fit_words
from bot.shell.handlers.broadcast import GROUPS
from flows.callback_data import MAX_BYTES, CallbackData, decode, encode
from flows.callbacks import MAX_DIGITS
from flows.content import load_content
from flows.model import Flow
from flows.participant_data import (
    AfterSession,
    AskCancel,
    CancelSeat,
    CourseJump,
    CourseLater,
    CourseNext,
    CourseNextSection,
    CourseResume,
    FlowAction,
    FlowButton,
    Forget,
    KeepSeat,
    Language,
    MenuItem,
    MenuPress,
    PickSession,
    QuoteChoice,
    ReflectNow,
)
from flows.staff_data import (
    AnswerQuestion,
    AnswerQuestions,
    AnswerSearch,
    AttendanceMark,
    AttendancePage,
    AudienceGroup,
    BroadcastControl,
    ControlAction,
    RegistrationsPage,
)
from store.consent import Quote

CONTENT = load_content(["en", "nl"], "en")
BIGGEST = 10**MAX_DIGITS - 1  # the largest id a button may carry (fits SQLite's 64 bits)
TELEGRAM_ID = 2**53 - 1  # Telegram's ids have at most 52 significant bits
PAGE = 9_999  # more pages than any list of people or answers has
SESSION = "s" * 32  # the longest session id settings accept: ^[a-z0-9][a-z0-9_-]{0,31}$


def _flow_buttons(flow: Flow) -> Iterator[CallbackData]:
    """Every button a dialogue shows: choices, Back/Skip/Done/Edit, the review's own."""
    for step in flow.steps:
        for value in step.values():
            yield FlowButton(flow.code, FlowAction.CHOOSE, step.id, value)
        for action in (FlowAction.BACK, FlowAction.SKIP, FlowAction.DONE, FlowAction.EDIT):
            yield FlowButton(flow.code, action, step.id)
    for action, _ in flow.review_actions:
        yield FlowButton(flow.code, FlowAction.REVIEW_ACTION, "review", action)
    yield FlowButton(flow.code, FlowAction.CONFIRM, "review")
    yield FlowButton(flow.code, FlowAction.CANCEL, "review")
    yield FlowButton(flow.code, FlowAction.KEEP_GOING)


def every_button() -> Iterator[CallbackData]:
    """Each kind of button with the extreme values its fields take in content/ and settings."""
    yield from (MenuPress(item) for item in MenuItem)
    yield from (Language(code) for code in CONTENT.languages)
    yield CourseResume()
    yield CourseJump("")
    for language in CONTENT.languages:
        for section in CONTENT.course(language).sections:
            yield CourseNext(section.id, len(section.cards) - 1)
            yield from (CourseNextSection(section.id), CourseLater(section.id))
            yield CourseJump(section.id)
            if section.question:
                yield ReflectNow(section.question)
    for flow in CONTENT.flows.values():
        yield from _flow_buttons(flow)
    for question in (None, *CONTENT.question_ids):
        yield from (QuoteChoice(question, choice.value) for choice in Quote)
    yield from (AfterSession(SESSION), AskCancel(SESSION), CancelSeat(SESSION), KeepSeat())
    yield from (PickSession(SESSION), PickSession(SESSION, waitlist=True))
    yield from (Forget(True, -BIGGEST), Forget(False, BIGGEST))
    yield from (BroadcastControl(action, BIGGEST) for action in ControlAction)
    yield from (AudienceGroup(group) for group in GROUPS)
    yield from (RegistrationsPage(BIGGEST), AnswerQuestions())
    yield from (AnswerQuestion(question, PAGE) for question in CONTENT.question_ids)
    for words in ("x" * 200, "ü" * 200, "🌱" * 100, "a:b:c " * 20):
        yield AnswerSearch(999, fit_words(words))  # /answers cuts the words for 999 pages
    yield AttendancePage(SESSION, PAGE)
    for person in (TELEGRAM_ID, -TELEGRAM_ID):
        yield from (AttendanceMark(SESSION, person, PAGE, present) for present in (True, False))


BUTTONS = list(every_button())


@pytest.mark.parametrize("button", BUTTONS, ids=encode)
def test_every_button_reads_back_and_fits_in_64_bytes(button: CallbackData) -> None:
    data = encode(button)
    assert decode(data) == button
    assert 1 <= len(data.encode()) <= MAX_BYTES


def test_every_kind_of_button_is_enumerated() -> None:
    kinds = {type(b) for b in BUTTONS}
    assert kinds == set(get_args(CallbackData))


@pytest.mark.parametrize(
    "data", [data for flow in CONTENT.flows.values() for _, data in flow.exit_buttons]
)
def test_the_exit_buttons_of_flows_in_content_are_buttons_of_the_bot(data: str) -> None:
    pressed = decode(data)
    assert pressed is not None
    assert encode(pressed) == data


WIRE = {  # the strings buttons have always carried: old buttons in chats keep working
    "menu:reflect": MenuPress(MenuItem.REFLECT),
    "c:r": CourseResume(),
    "c:n:why:2": CourseNext("why", 2),
    "c:j:": CourseJump(""),
    "lang:nl": Language("nl"),
    "f:rf:c:q1:yes": FlowButton("rf", FlowAction.CHOOSE, "q1", "yes"),
    "f:rf:g::": FlowButton("rf", FlowAction.KEEP_GOING),
    "r:q1": ReflectNow("q1"),
    "qc:*:name": QuoteChoice(None, "name"),
    "qc:q2:private": QuoteChoice("q2", "private"),
    "after:ks": AfterSession("ks"),
    "fg:y:1764547200": Forget(True, 1764547200),
    "reg:s:ks": PickSession("ks"),
    "reg:w:ks": PickSession("ks", waitlist=True),
    "reg:c:ks": AskCancel("ks"),
    "reg:x:ks": CancelSeat("ks"),
    "reg:k": KeepSeat(),
    "bcx:p:12": BroadcastControl(ControlAction.PAUSE, 12),
    "bca:session": AudienceGroup("session"),
    "rgl:3": RegistrationsPage(3),
    "ans:l": AnswerQuestions(),
    "ans:q:q1:0": AnswerQuestion("q1", 0),
    "ans:s:4:a:b": AnswerSearch(4, "a:b"),
    "at:ks:p:1": AttendancePage("ks", 1),
    "at:ks:-42:1:0": AttendanceMark("ks", -42, 1, False),
}


@pytest.mark.parametrize(("data", "button"), WIRE.items())
def test_the_strings_on_the_wire_stay_as_they_were(data: str, button: CallbackData) -> None:
    assert encode(button) == data
    assert decode(data) == button


FORGED = [
    "", "x", "menu", "menu:", "menu:nope", "c", "c:", "c:r:x", "c:n:why", "c:n:why:²",
    "c:n:why:١", "c:n:why: 1", "c:n:why:+1", "c:n:why:1_0", "c:n:why:07", "c:n:why:-1",
    "c:n:why:1:extra", "c:s:", "c:q:why", "lang:", "lang:a:b", "f:rf:z:q1:yes", "f::c:q1:y",
    "f:rf:c:q1", "f:rf:c:q1:y:z", "r:", "r:a:b", "qc:*", "qc::name", "qc:*:", "fg:y:",
    "fg:z:1", "fg:y:-0", "fg:y:1:2", "reg:", "reg:s:", "reg:k:x", "reg:q:ks", "bcx:p",
    "bcx:p:²", "bcx:x:١", "bcx:r:+1", "bcx:p:99999999999999999999", "bcx:z:1", "bca:",
    "rgl:", "rgl:-1", "rgl:1e3", "ans:", "ans:q", "ans:q:q1", "ans:q:q1:1:2", "ans:s:1",
    "ans:s:1:", "ans:s:x:words", "ans:l:x", "at:ks:p", "at:ks:p:x", "at:ks:7:0:2",
    "at::p:0", "at:ks:7:0", "after:", "after:a:b",
]  # fmt: skip


@pytest.mark.parametrize("data", FORGED)
def test_forged_or_malformed_data_is_refused(data: str) -> None:
    assert decode(data) is None


ID = st.text(st.characters(blacklist_characters=":", blacklist_categories=("Cs",)), min_size=1)
ANY = st.text(st.characters(blacklist_characters=":", blacklist_categories=("Cs",)))
COUNT = st.integers(0, BIGGEST)
SIGNED = st.integers(-BIGGEST, BIGGEST)
VALUES = st.one_of(
    st.builds(MenuPress, st.sampled_from(MenuItem)),
    st.just(CourseResume()),
    st.builds(CourseNext, ID, COUNT),
    st.builds(CourseNextSection, ID),
    st.builds(CourseLater, ID),
    st.builds(CourseJump, ANY),
    st.builds(Language, ID),
    st.builds(FlowButton, ID, st.sampled_from(FlowAction), ANY, ANY),
    st.builds(ReflectNow, ID),
    st.builds(QuoteChoice, st.none() | ID.filter(lambda q: q != "*"), ID),
    st.builds(AfterSession, ID),
    st.builds(Forget, st.booleans(), SIGNED),
    st.builds(PickSession, ID, st.booleans()),
    st.builds(AskCancel, ID),
    st.builds(CancelSeat, ID),
    st.just(KeepSeat()),
    st.builds(BroadcastControl, st.sampled_from(ControlAction), COUNT),
    st.builds(AudienceGroup, ID),
    st.builds(RegistrationsPage, COUNT),
    st.just(AnswerQuestions()),
    st.builds(AnswerQuestion, ID, COUNT),
    st.builds(AnswerSearch, COUNT, st.text(min_size=1)),
    st.builds(AttendanceMark, ID, SIGNED, COUNT, st.booleans()),
    st.builds(AttendancePage, ID, COUNT),
)
PREFIXES = ["menu:", "c:", "lang:", "f:", "r:", "qc:", "after:", "fg:", "reg:", "bcx:"]
PREFIXES += ["bca:", "rgl:", "ans:", "at:"]
NEAR = st.text(st.sampled_from(string.digits + ":-+ ²١_*pqlsnxyrkcwj"), max_size=30)
TEXTS = st.one_of(
    st.text(max_size=80),
    st.builds(str.__add__, st.sampled_from(PREFIXES), st.text(max_size=40) | NEAR),
)


@given(VALUES)
def test_each_value_reads_back_as_itself(value: CallbackData) -> None:
    assert decode(encode(value)) == value


@given(TEXTS)
def test_decode_never_raises_and_each_value_has_one_spelling(data: str) -> None:
    pressed = decode(data)
    assert pressed is None or encode(pressed) == data
