"""The callback data of every button the bot makes: a typed value per kind, encoded and decoded.

The strings on the wire are those the bot has always sent (buttons in people's chats
keep working). `decode` is strict: anything a client forged or an odd old shape is
None, never an exception; and each value has one spelling, so `encode(decode(s)) == s`.
The values themselves: flows/participant_data.py and flows/staff_data.py. A handler
decodes and matches on the type; whoever makes a button encodes one.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

from flows.callbacks import number, parts
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

__all__ = ["MAX_BYTES", "CallbackData", "Reader", "decode", "encode"]

MAX_BYTES = 64  # Telegram's limit on a button's callback data, in UTF-8 bytes

E = TypeVar("E", bound=StrEnum)

CallbackData = (
    MenuPress
    | CourseResume
    | CourseNext
    | CourseNextSection
    | CourseLater
    | CourseJump
    | Language
    | FlowButton
    | ReflectNow
    | QuoteChoice
    | AfterSession
    | Forget
    | PickSession
    | AskCancel
    | CancelSeat
    | KeepSeat
    | BroadcastControl
    | AudienceGroup
    | RegistrationsPage
    | AnswerQuestions
    | AnswerQuestion
    | AnswerSearch
    | AttendanceMark
    | AttendancePage
)
Reader = Callable[[str], CallbackData | None]


def encode(data: CallbackData) -> str:
    return data.encode()


def decode(data: str) -> CallbackData | None:
    """The button `data` stands for; None for anything no button of the bot carries."""
    head, _, rest = data.partition(":")
    reader = _READERS.get(head)
    return reader(rest) if reader is not None and data != head else None


def _count(text: str, *, signed: bool = False) -> int | None:
    """A number as the bot writes one (no "007", no "-0"): strict, and one spelling each."""
    value = number(text, signed=signed)
    return value if value is not None and str(value) == text else None


def _enum(kind: type[E], text: str) -> E | None:
    return next((member for member in kind if member.value == text), None)


def _menu(rest: str) -> CallbackData | None:
    item = _enum(MenuItem, rest)
    return MenuPress(item) if item is not None else None


def _course(rest: str) -> CallbackData | None:
    match rest.split(":"):
        case ["r"]:
            return CourseResume()
        case ["n", section, card] if section and (at := _count(card)) is not None:
            return CourseNext(section, at)
        case ["s", section] if section:
            return CourseNextSection(section)
        case ["t", section] if section:
            return CourseLater(section)
        case ["j", section]:
            return CourseJump(section)
    return None


def _flow(rest: str) -> CallbackData | None:
    match rest.split(":"):
        case [code, action, step, value] if code and (act := _enum(FlowAction, action)):
            return FlowButton(code, act, step, value)
    return None


def _quote(rest: str) -> CallbackData | None:
    match rest.split(":"):
        case [question, choice] if question and choice:
            return QuoteChoice(None if question == "*" else question, choice)
    return None


def _forget(rest: str) -> CallbackData | None:
    match rest.split(":"):
        case ["y" | "n" as answer, stamp] if (joined := _count(stamp, signed=True)) is not None:
            return Forget(answer == "y", joined)
    return None


def _registration(rest: str) -> CallbackData | None:
    match rest.split(":"):
        case ["k"]:
            return KeepSeat()
        case ["s" | "w" as kind, session] if session:
            return PickSession(session, waitlist=kind == "w")
        case ["c", session] if session:
            return AskCancel(session)
        case ["x", session] if session:
            return CancelSeat(session)
    return None


def _control(rest: str) -> CallbackData | None:
    match rest.split(":"):
        case [action, digits] if (act := _enum(ControlAction, action)) and (
            broadcast := _count(digits)
        ) is not None:
            return BroadcastControl(act, broadcast)
    return None


def _answers(rest: str) -> CallbackData | None:
    if rest == "l":
        return AnswerQuestions()
    match parts(rest, 3):  # the search words come last and may hold colons
        case ["q", question, page] if question and (at := _count(page)) is not None:
            return AnswerQuestion(question, at)
        case ["s", page, words] if words and (at := _count(page)) is not None:
            return AnswerSearch(at, words)
    return None


def _attendance(rest: str) -> CallbackData | None:
    match rest.split(":"):
        case [session, "p", page] if session and (at := _count(page)) is not None:
            return AttendancePage(session, at)
        case [session, person, page, "0" | "1" as flag] if session:
            who, at = _count(person, signed=True), _count(page)
            if who is not None and at is not None:
                return AttendanceMark(session, who, at, flag == "1")
    return None


def _one(kind: Callable[[str], CallbackData]) -> Reader:
    """A prefix whose one field is an id: any text without a colon."""

    def read(rest: str) -> CallbackData | None:
        return kind(rest) if rest and ":" not in rest else None

    return read


def _page(rest: str) -> CallbackData | None:
    page = _count(rest)
    return RegistrationsPage(page) if page is not None else None


_READERS: dict[str, Reader] = {
    "menu": _menu,
    "c": _course,
    "lang": _one(Language),
    "f": _flow,
    "r": _one(ReflectNow),
    "qc": _quote,
    "after": _one(AfterSession),
    "fg": _forget,
    "reg": _registration,
    "bcx": _control,
    "bca": _one(AudienceGroup),
    "rgl": _page,
    "ans": _answers,
    "at": _attendance,
}
