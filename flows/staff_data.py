"""The callback data of organisers' and facilitators' buttons: broadcasts, pages, attendance."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from flows.wire import COUNT, ID, REST, SIGNED, Layout, flag, one_of

__all__ = [
    "AnswerQuestion",
    "AnswerQuestions",
    "AnswerSearch",
    "AttendanceMark",
    "AttendancePage",
    "AudienceGroup",
    "BroadcastControl",
    "ControlAction",
    "RegistrationsPage",
    "StaffData",
]


class ControlAction(StrEnum):
    """Pause, resume or cancel a broadcast (`bcx:<action>:<id>`)."""

    PAUSE = "p"
    RESUME = "r"
    CANCEL = "x"


@dataclass(frozen=True)
class BroadcastControl:
    WIRE: ClassVar[Layout] = Layout(
        "bcx:{action}:{broadcast}", action=one_of(ControlAction), broadcast=COUNT
    )
    action: ControlAction
    broadcast: int


@dataclass(frozen=True)
class AudienceGroup:
    """The composer's audience keyboard of one group (basic, session, progress)."""

    WIRE: ClassVar[Layout] = Layout("bca:{group}", group=ID)
    group: str


@dataclass(frozen=True)
class RegistrationsPage:
    WIRE: ClassVar[Layout] = Layout("rgl:{page}", page=COUNT)
    page: int


@dataclass(frozen=True)
class AnswerQuestions:
    """/answers' list of questions."""

    WIRE: ClassVar[Layout] = Layout("ans:l")


@dataclass(frozen=True)
class AnswerQuestion:
    WIRE: ClassVar[Layout] = Layout("ans:q:{question}:{page}", question=ID, page=COUNT)
    question: str
    page: int


@dataclass(frozen=True)
class AnswerSearch:
    WIRE: ClassVar[Layout] = Layout("ans:s:{page}:{words}", page=COUNT, words=REST)
    page: int
    words: str  # last, so it may hold colons


@dataclass(frozen=True)
class AttendanceMark:
    """Sets (never flips) whether `person` attended: a double tap sets the same again."""

    WIRE: ClassVar[Layout] = Layout(
        "at:{session}:{person}:{page}:{present}",
        session=ID,
        person=SIGNED,
        page=COUNT,
        present=flag("1", "0"),
    )
    session: str
    person: int
    page: int
    present: bool


@dataclass(frozen=True)
class AttendancePage:
    WIRE: ClassVar[Layout] = Layout("at:{session}:p:{page}", session=ID, page=COUNT)
    session: str
    page: int


StaffData = (
    BroadcastControl
    | AudienceGroup
    | RegistrationsPage
    | AnswerQuestions
    | AnswerQuestion
    | AnswerSearch
    | AttendanceMark
    | AttendancePage
)
