"""The callback data of organisers' and facilitators' buttons: broadcasts, pages, attendance."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

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
]


class ControlAction(StrEnum):
    """Pause, resume or cancel a broadcast (`bcx:<action>:<id>`)."""

    PAUSE = "p"
    RESUME = "r"
    CANCEL = "x"


@dataclass(frozen=True)
class BroadcastControl:
    action: ControlAction
    broadcast: int

    def encode(self) -> str:
        return f"bcx:{self.action}:{self.broadcast}"


@dataclass(frozen=True)
class AudienceGroup:
    """The composer's audience keyboard of one group (basic, session, progress)."""

    group: str

    def encode(self) -> str:
        return f"bca:{self.group}"


@dataclass(frozen=True)
class RegistrationsPage:
    page: int

    def encode(self) -> str:
        return f"rgl:{self.page}"


@dataclass(frozen=True)
class AnswerQuestions:
    """/answers' list of questions."""

    def encode(self) -> str:
        return "ans:l"


@dataclass(frozen=True)
class AnswerQuestion:
    question: str
    page: int

    def encode(self) -> str:
        return f"ans:q:{self.question}:{self.page}"


@dataclass(frozen=True)
class AnswerSearch:
    page: int
    words: str  # last, so it may hold colons

    def encode(self) -> str:
        return f"ans:s:{self.page}:{self.words}"


@dataclass(frozen=True)
class AttendanceMark:
    """Sets (never flips) whether `person` attended: a double tap sets the same again."""

    session: str
    person: int
    page: int
    present: bool

    def encode(self) -> str:
        return f"at:{self.session}:{self.person}:{self.page}:{int(self.present)}"


@dataclass(frozen=True)
class AttendancePage:
    session: str
    page: int

    def encode(self) -> str:
        return f"at:{self.session}:p:{self.page}"
