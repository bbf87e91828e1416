"""The flow model as plain data: steps, flows, a participant's state and the events."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = [
    "FORMATS",
    "SKIPPED",
    "Begin",
    "Event",
    "Flow",
    "FlowKind",
    "FlowState",
    "Kind",
    "NotText",
    "Phase",
    "Press",
    "ShowAnswers",
    "Step",
    "Text",
    "applies",
    "next_step",
    "why_step",
]

SKIPPED = ""  # the stored value of a skipped step
FORMATS = {
    "email": re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>.]{2,}$"),
    # A link button: "Label | https://…"
    "button": re.compile(r"^[^|]{1,40}\|\s*https?://\S+$"),
    # "today 09:00", "tomorrow 9:30" or "2027-01-20 09:00"
    "time": re.compile(r"^((today|tomorrow)\s+|\d{4}-\d{2}-\d{2}[ T])\d{1,2}:\d{2}$", re.I),
    # Telegram HTML from the shell (the organiser's own formatting); any text is fine.
    "html": re.compile(r"(?s).+"),
}


class Kind(StrEnum):
    """What a step asks for."""

    TEXT = "text"
    CHOICE = "choice"
    SCALE = "scale"
    YESNO = "yesno"


class FlowKind(StrEnum):
    """What a flow is for: the shell's handlers and the reports pick flows by kind."""

    REGISTRATION = "registration"
    REFLECTION = "reflection"  # the course's questions; there may be one per session
    BROADCAST = "broadcast"
    AFTER = "after"  # one more question a week after the session


class Phase(StrEnum):
    ASKING = "asking"
    REVIEW = "review"
    DONE = "done"


@dataclass(frozen=True)
class Step:
    id: str
    prompt: str  # strings key
    kind: Kind
    label: str = ""  # strings key of the short name in the review
    options: tuple[str, ...] = ()  # choice values; labels are strings keys `<flow>.options.<value>`
    skippable: bool = False
    min_length: int = 1
    max_length: int = 2000
    when: tuple[str, tuple[str, ...]] | None = None  # (step id, values) that must hold
    question: str = ""  # what the answer belongs to, e.g. "q1"
    single: bool = False  # one message is the whole answer (no Done needed)
    format: str = ""  # a FORMATS key the text must match, e.g. "email"
    must_be: tuple[str, ...] = ()  # the only values that let the flow go on (consent)
    refused: str = ""  # strings key shown when the answer is not in must_be

    def values(self) -> tuple[str, ...]:
        if self.kind is Kind.SCALE:
            return ("1", "2", "3", "4", "5")
        if self.kind is Kind.YESNO:
            return ("yes", "no")
        return self.options

    @property
    def writes(self) -> bool:
        """A step where people write at length (several messages, then Done)."""
        return self.kind is Kind.TEXT and not self.single


@dataclass(frozen=True)
class Flow:
    id: str
    code: str  # short id used in callback data
    steps: tuple[Step, ...]
    strings: str  # prefix of this flow's own string keys, e.g. "reflection"
    review: bool = True
    cancellable: bool = False  # the review offers Cancel, which starts the flow afresh
    exit_buttons: tuple[tuple[str, str], ...] = ()  # (strings key of the label, callback data)
    # Extra review buttons the shell acts on, leaving the review as it is: (id, label key).
    review_actions: tuple[tuple[str, str], ...] = ()
    # Labels of options the shell adds at start-up (e.g. one per configured session).
    labels: dict[str, str] = field(default_factory=dict)
    kind: FlowKind = FlowKind.REFLECTION
    # The sessions whose participants get this flow (a reflection flow per session);
    # none: everyone not in a session some other flow of the kind names.
    sessions: tuple[str, ...] = ()

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    @property
    def questions(self) -> tuple[str, ...]:
        """The questions its steps belong to (q1…q5), in order."""
        return tuple(dict.fromkeys(s.question for s in self.steps if s.question))


@dataclass(frozen=True)
class FlowState:
    flow_id: str
    step: str = ""
    phase: Phase = Phase.ASKING
    answers: dict[str, str] = field(default_factory=dict)
    draft: str = ""
    history: tuple[str, ...] = ()
    editing: bool = False  # back to the review once this step is answered
    edit_origin: str = ""  # the phase an edit started from (review or done), to return to
    stop_after: str = ""  # a question reached by a jump: pause when it is answered
    paused: bool = False  # waiting after a jump; typed text is not for this flow
    started: bool = False
    extra: dict[str, str] = field(default_factory=dict)  # the shell's context, e.g. a session
    kept: str = ""  # text typed at a choice step: the start of the next written answer

    @property
    def listening(self) -> bool:
        """Whether typed text belongs to this flow."""
        return self.started and not self.paused and self.phase is not Phase.DONE

    def to_json(self) -> str:
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        data["history"] = list(self.history)
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> FlowState:
        data: dict[str, Any] = json.loads(text)
        data["history"] = tuple(data.get("history", ()))
        data["phase"] = Phase(data.get("phase", "asking"))
        data.setdefault("extra", {})
        return cls(**data)


@dataclass(frozen=True)
class Begin:
    """Start, or show where the participant stands (/reflect, the menu)."""

    step: str = ""  # jump straight to this step (e.g. "Reflect on this now")
    pause: bool = True  # after a jump, pause once that question is answered


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class NotText:
    """A sticker, photo, voice note or file."""


@dataclass(frozen=True)
class Press:
    """A button: action is choose | done | back | skip | edit | confirm | begin | a review
    action (`a`, its id in `value`)."""

    action: str
    step: str = ""
    value: str = ""


@dataclass(frozen=True)
class ShowAnswers:
    """Show every answer so far, each with an Edit button (/myanswers)."""


Event = Begin | Text | NotText | Press | ShowAnswers


def applies(step: Step, answers: dict[str, str]) -> bool:
    """Whether `step` is asked, given the answers so far (its `when`)."""
    return step.when is None or answers.get(step.when[0]) in step.when[1]


def next_step(flow: Flow, after: str, answers: dict[str, str]) -> str:
    """The id of the first step after `after` (the first of all for "") that applies."""
    ids = [s.id for s in flow.steps]
    start = ids.index(after) + 1 if after in ids else 0
    return next((s.id for s in flow.steps[start:] if applies(s, answers)), "")


def why_step(flow: Flow, step: Step, answers: dict[str, str]) -> Step | None:
    """The written follow-up of a choice ("Why?"): the next step, of the same question."""
    following = flow.step(next_step(flow, step.id, answers))
    if following is None or not step.question or following.question != step.question:
        return None
    return following if following.writes else None
