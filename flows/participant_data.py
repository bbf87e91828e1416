"""The callback data of a participant's buttons: the menu, the course, dialogues, sign-up."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from flows.wire import COUNT, ID, SIGNED, TEXT, Layout, every_or, flag, one_of

__all__ = [
    "AfterSession",
    "AskCancel",
    "CancelSeat",
    "CourseJump",
    "CourseLater",
    "CourseNext",
    "CourseNextSection",
    "CourseResume",
    "FlowAction",
    "FlowButton",
    "Forget",
    "KeepSeat",
    "Language",
    "MenuItem",
    "MenuPress",
    "ParticipantData",
    "PickSession",
    "QuoteChoice",
    "ReflectNow",
]


class MenuItem(StrEnum):
    """The main menu's buttons (`menu:<item>`)."""

    COURSE = "course"
    REFLECT = "reflect"
    REGISTER = "register"
    CANCEL = "cancel"
    SECTIONS = "sections"
    STATUS = "status"
    HELP = "help"


class FlowAction(StrEnum):
    """What a dialogue's button does (`f:<code>:<action>:<step>:<value>`)."""

    CHOOSE = "c"
    BACK = "b"
    SKIP = "s"
    DONE = "d"
    EDIT = "e"
    REVIEW_ACTION = "a"
    CONFIRM = "k"
    CANCEL = "x"
    KEEP_GOING = "g"


@dataclass(frozen=True)
class MenuPress:
    WIRE: ClassVar[Layout] = Layout("menu:{item}", item=one_of(MenuItem))
    item: MenuItem


@dataclass(frozen=True)
class CourseResume:
    """The drip's "continue" (and a flow's exit button): where they left off."""

    WIRE: ClassVar[Layout] = Layout("c:r")


@dataclass(frozen=True)
class CourseNext:
    """Next on card `card` of a section."""

    WIRE: ClassVar[Layout] = Layout("c:n:{section}:{card}", section=ID, card=COUNT)
    section: str
    card: int


@dataclass(frozen=True)
class CourseNextSection:
    WIRE: ClassVar[Layout] = Layout("c:s:{section}", section=ID)
    section: str  # the one just finished


@dataclass(frozen=True)
class CourseLater:
    WIRE: ClassVar[Layout] = Layout("c:t:{section}", section=ID)
    section: str


@dataclass(frozen=True)
class CourseJump:
    WIRE: ClassVar[Layout] = Layout("c:j:{section}", section=TEXT)
    section: str  # "": the list of sections


@dataclass(frozen=True)
class Language:
    WIRE: ClassVar[Layout] = Layout("lang:{code}", code=ID)
    code: str


@dataclass(frozen=True)
class FlowButton:
    """A dialogue's button; `code` is the flow's short code (content/flows/*.toml)."""

    WIRE: ClassVar[Layout] = Layout(
        "f:{code}:{action}:{step}:{value}",
        code=ID,
        action=one_of(FlowAction),
        step=TEXT,
        value=TEXT,
    )
    code: str
    action: FlowAction
    step: str = ""
    value: str = ""


@dataclass(frozen=True)
class ReflectNow:
    """ "Reflect on this now" under a part's last card: that part's question."""

    WIRE: ClassVar[Layout] = Layout("r:{question}", question=ID)
    question: str


@dataclass(frozen=True)
class QuoteChoice:
    """How answers may be quoted: every question's (`question` None) or one's."""

    WIRE: ClassVar[Layout] = Layout("qc:{question}:{choice}", question=every_or(ID), choice=ID)
    question: str | None
    choice: str  # a store.consent.Quote value, checked by the handler


@dataclass(frozen=True)
class AfterSession:
    """The follow-up's button: the one more question after `session`."""

    WIRE: ClassVar[Layout] = Layout("after:{session}", session=ID)
    session: str


@dataclass(frozen=True)
class Forget:
    """/forget's yes (`erase`) or no; `joined` is when they joined (Unix seconds)."""

    WIRE: ClassVar[Layout] = Layout("fg:{erase}:{joined}", erase=flag("y", "n"), joined=SIGNED)
    erase: bool
    joined: int


@dataclass(frozen=True)
class PickSession:
    WIRE: ClassVar[Layout] = Layout("reg:{waitlist}:{session}", waitlist=flag("w", "s"), session=ID)
    session: str
    waitlist: bool = False  # its waitlist, though others have room


@dataclass(frozen=True)
class AskCancel:
    """A reminder's "Can't make it": asks first."""

    WIRE: ClassVar[Layout] = Layout("reg:c:{session}", session=ID)
    session: str


@dataclass(frozen=True)
class CancelSeat:
    WIRE: ClassVar[Layout] = Layout("reg:x:{session}", session=ID)
    session: str


@dataclass(frozen=True)
class KeepSeat:
    WIRE: ClassVar[Layout] = Layout("reg:k")


ParticipantData = (
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
)
