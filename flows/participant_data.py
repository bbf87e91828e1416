"""The callback data of a participant's buttons: the menu, the course, dialogues, sign-up."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

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
    item: MenuItem

    def encode(self) -> str:
        return f"menu:{self.item}"


@dataclass(frozen=True)
class CourseResume:
    """The drip's "continue" (and a flow's exit button): where they left off."""

    def encode(self) -> str:
        return "c:r"


@dataclass(frozen=True)
class CourseNext:
    """Next on card `card` of a section."""

    section: str
    card: int

    def encode(self) -> str:
        return f"c:n:{self.section}:{self.card}"


@dataclass(frozen=True)
class CourseNextSection:
    section: str  # the one just finished

    def encode(self) -> str:
        return f"c:s:{self.section}"


@dataclass(frozen=True)
class CourseLater:
    section: str

    def encode(self) -> str:
        return f"c:t:{self.section}"


@dataclass(frozen=True)
class CourseJump:
    section: str  # "": the list of sections

    def encode(self) -> str:
        return f"c:j:{self.section}"


@dataclass(frozen=True)
class Language:
    code: str

    def encode(self) -> str:
        return f"lang:{self.code}"


@dataclass(frozen=True)
class FlowButton:
    """A dialogue's button; `code` is the flow's short code (content/flows/*.toml)."""

    code: str
    action: FlowAction
    step: str = ""
    value: str = ""

    def encode(self) -> str:
        return f"f:{self.code}:{self.action}:{self.step}:{self.value}"


@dataclass(frozen=True)
class ReflectNow:
    """ "Reflect on this now" under a part's last card: that part's question."""

    question: str

    def encode(self) -> str:
        return f"r:{self.question}"


@dataclass(frozen=True)
class QuoteChoice:
    """How answers may be quoted: every question's (`question` None) or one's."""

    question: str | None
    choice: str  # a store.consent.Quote value, checked by the handler

    def encode(self) -> str:
        return f"qc:{self.question or '*'}:{self.choice}"


@dataclass(frozen=True)
class AfterSession:
    """The follow-up's button: the one more question after `session`."""

    session: str

    def encode(self) -> str:
        return f"after:{self.session}"


@dataclass(frozen=True)
class Forget:
    """/forget's yes (`erase`) or no; `joined` is when they joined (Unix seconds)."""

    erase: bool
    joined: int

    def encode(self) -> str:
        return f"fg:{'y' if self.erase else 'n'}:{self.joined}"


@dataclass(frozen=True)
class PickSession:
    session: str
    waitlist: bool = False  # its waitlist, though others have room

    def encode(self) -> str:
        return f"reg:{'w' if self.waitlist else 's'}:{self.session}"


@dataclass(frozen=True)
class AskCancel:
    """A reminder's "Can't make it": asks first."""

    session: str

    def encode(self) -> str:
        return f"reg:c:{self.session}"


@dataclass(frozen=True)
class CancelSeat:
    session: str

    def encode(self) -> str:
        return f"reg:x:{self.session}"


@dataclass(frozen=True)
class KeepSeat:
    def encode(self) -> str:
        return "reg:k"
