"""A declarative dialogue engine: `advance(flow, state, event, strings) -> (state, replies)`.

A flow is data (flows/flow_loader.py reads it from content/flows/*.toml): ordered
steps, each asking for free text, a choice, a 1-5 scale or yes/no, optionally
skippable, optionally shown only after certain earlier answers. Every flow gets
Back, Skip (where allowed), a review with an Edit button per answer, and Confirm.
A flow may add its own buttons to the review (`review_actions`, e.g. "Send to me
first"): the engine only says which one was pressed (`review_action`); the shell does it.

Pure: no Telegram, no database, no clock. Buttons carry the step they belong to,
so a press from an earlier step is recognised as stale and changes nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from flows.replies import Button, ClearButtons, Document, Out, Reply
from flows.strings import Markup, Strings
from flows.typed import match_choice

__all__ = [
    "Begin",
    "Event",
    "Flow",
    "FlowState",
    "Kind",
    "NotText",
    "Phase",
    "Press",
    "ShowAnswers",
    "Step",
    "Text",
    "advance",
    "flow_code",
    "review_action",
    "shown_value",
]

SKIPPED = ""  # the stored value of a skipped step
REVIEW_SNIPPET = 300  # of an earlier answer shown under its question again
MAX_MESSAGE = 4096  # Telegram's limit, in UTF-16 units: a longer echo goes as a file
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
    TEXT = "text"
    CHOICE = "choice"
    SCALE = "scale"
    YESNO = "yesno"


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

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)


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


def _applies(step: Step, answers: dict[str, str]) -> bool:
    return step.when is None or answers.get(step.when[0]) in step.when[1]


def _next_step(flow: Flow, after: str, answers: dict[str, str]) -> str:
    ids = [s.id for s in flow.steps]
    start = ids.index(after) + 1 if after in ids else 0
    return next((s.id for s in flow.steps[start:] if _applies(s, answers)), "")


def _data(flow: Flow, action: str, step: str = "", value: str = "") -> str:
    return f"f:{flow.code}:{action}:{step}:{value}"


def flow_code(data: Sequence[str]) -> str:
    """The code of the flow whose buttons carry these callback data (`f:<code>:…`), or
    "" for a message with none of a dialogue's buttons."""
    for item in data:
        parts = item.split(":")
        if len(parts) == 5 and parts[0] == "f" and parts[1]:
            return parts[1]
    return ""


def _label(strings: Strings, flow: Flow, step: Step, value: str) -> str:
    if step.kind is Kind.SCALE:
        return value
    if value in flow.labels:
        return flow.labels[value]
    return strings.plain(f"{flow.strings}.options.{value}")


def shown_value(flow: Flow, step: Step, value: str, strings: Strings) -> str:
    """An answer as people read it: typed text as typed, a choice by its label."""
    return value if step.kind is Kind.TEXT or not value else _label(strings, flow, step, value)


def _prompt(flow: Flow, step: Step, state: FlowState, strings: Strings) -> Reply:
    """The question of `step`, with its answer buttons and Back / Skip / Done."""
    text = strings(step.prompt)
    previous = state.answers.get(step.id)
    if previous:
        shown = _label(strings, flow, step, previous) if step.kind is not Kind.TEXT else previous
        text += "\n\n" + strings("flow.previous", answer=_snippet(shown))
    if step.kind is Kind.TEXT and state.draft:
        text += "\n\n" + strings("flow.draft", length=len(state.draft))
    rows: list[tuple[Button, ...]] = []
    values = step.values()
    per_row = 5 if step.kind is Kind.SCALE else 1
    for index in range(0, len(values), per_row):
        rows.append(
            tuple(
                Button(_label(strings, flow, step, v), _data(flow, "c", step.id, v))
                for v in values[index : index + per_row]
            )
        )
    nav: list[Button] = []
    if state.history or state.editing:
        nav.append(Button(strings.plain("flow.back"), _data(flow, "b", step.id)))
    if step.skippable:
        nav.append(Button(strings.plain("flow.skip"), _data(flow, "s", step.id)))
    if step.kind is Kind.TEXT and (state.draft or previous):
        nav.append(Button(strings.plain("flow.done"), _data(flow, "d", step.id)))
    if nav:
        rows.append(tuple(nav))
    return Reply(text, tuple(rows))


def _snippet(text: str) -> str:
    return text if len(text) <= REVIEW_SNIPPET else text[: REVIEW_SNIPPET - 1] + "…"


def _review(flow: Flow, state: FlowState, strings: Strings) -> Reply:
    """Every answer in full (the shell splits a long review into several messages)."""
    header = f"{flow.strings}.review"
    if state.phase is Phase.DONE and strings.has(f"{header}_done"):
        header += "_done"  # nothing left to confirm
    lines = [strings(header)]
    buttons: list[Button] = []
    for step in flow.steps:
        if not _applies(step, state.answers):
            continue
        value = state.answers.get(step.id, SKIPPED)
        shown = (
            _label(strings, flow, step, value) if value and step.kind is not Kind.TEXT else value
        )
        answer = shown or strings.plain("flow.skipped")
        if step.format == "html" and value:
            answer = Markup(value)  # the organiser's own formatting, shown as it will be sent
        lines.append(strings("flow.review_line", label=strings.plain(step.label), answer=answer))
        buttons.append(Button(f"✏️ {strings.plain(step.label)}", _data(flow, "e", step.id)))
    rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
    if state.phase is Phase.REVIEW:
        rows += [
            (Button(strings.plain(label), _data(flow, "a", "review", action)),)
            for action, label in flow.review_actions
        ]
        final = [Button(strings.plain("flow.confirm"), _data(flow, "k", "review"))]
        if flow.cancellable:
            final.append(Button(strings.plain("flow.cancel"), _data(flow, "x", "review")))
        rows.append(tuple(final))
    return Reply("\n\n".join(lines), tuple(rows))


def _ask(flow: Flow, state: FlowState, strings: Strings) -> list[Out]:
    if state.phase is not Phase.ASKING:
        return [_review(flow, state, strings)]
    step = flow.step(state.step)
    assert step is not None
    return [_prompt(flow, step, state, strings)]


def _move_on(flow: Flow, state: FlowState, strings: Strings) -> tuple[FlowState, list[Out]]:
    """The current step is answered: next step, the review, or a pause after a jump."""
    current = flow.step(state.step)
    assert current is not None
    following = _next_step(flow, state.step, state.answers)
    # A question never asked yet (after a jump or an edit) comes before any review.
    missing = next(
        (s.id for s in flow.steps if _applies(s, state.answers) and s.id not in state.answers),
        "",
    )
    if not following or following in state.answers or state.editing:
        following = missing
    why = _why(flow, current, state.answers)
    if state.kept and state.editing and why is not None:
        following = why.id  # an edit's typed text goes on to its own "why", then the review
    following_step = flow.step(following)
    if not following:
        origin = Phase(state.edit_origin) if state.edit_origin else Phase.REVIEW
        phase = origin if flow.review else Phase.DONE
        done = replace(
            state, step="", phase=phase, editing=False, draft="", stop_after="", edit_origin=""
        )
        if not flow.review:
            return done, [Reply(strings(f"{flow.strings}.done"))]
        return done, [_review(flow, done, strings)]
    moved = replace(
        state,
        step=following,
        draft="",
        history=(*state.history, state.step),
        editing=state.editing and following_step is why and why is not None,
    )
    if state.kept and following_step is not None and _writes(following_step):
        moved = replace(moved, draft=state.kept, kept="")
    if state.stop_after and following_step and following_step.question != state.stop_after:
        paused = replace(moved, stop_after="", paused=True)
        buttons = (
            *(Button(strings.plain(key), data) for key, data in flow.exit_buttons),
            Button(strings.plain("flow.keep_going"), _data(flow, "g")),
        )
        return paused, [Reply(strings(f"{flow.strings}.paused"), tuple((b,) for b in buttons))]
    return moved, _ask(flow, moved, strings)


def _begin(
    flow: Flow, state: FlowState, event: Begin, strings: Strings
) -> tuple[FlowState, list[Out]]:
    state = replace(state, paused=False)
    target = flow.step(event.step) if event.step else None
    if target is not None and state.phase is not Phase.ASKING:
        return _press(flow, state, Press("e", target.id), strings)
    if target is not None:
        stop = (target.question or target.id) if event.pause else ""
        jumped = replace(state, step=target.id, started=True, draft="", stop_after=stop)
        if state.step and state.step != target.id:
            jumped = replace(jumped, history=(*state.history, state.step))
        return jumped, _ask(flow, jumped, strings)
    if not state.started:
        first = _next_step(flow, "", state.answers)
        begun = replace(state, step=first, started=True)
        return begun, [Reply(strings(f"{flow.strings}.intro")), *_ask(flow, begun, strings)]
    if state.phase is Phase.DONE:
        return state, [
            Reply(strings(f"{flow.strings}.already_done")),
            _review(flow, state, strings),
        ]
    return state, _ask(flow, state, strings)


def _text(flow: Flow, state: FlowState, text: str, strings: Strings) -> tuple[FlowState, list[Out]]:
    step = flow.step(state.step)
    if state.phase is not Phase.ASKING or step is None:
        return state, [Reply(strings("flow.use_buttons")), *_ask(flow, state, strings)]
    if step.kind is not Kind.TEXT:
        return _typed_choice(flow, state, step, text, strings)
    if step.single:
        return _single(flow, state, step, text, strings)
    combined = f"{state.draft}\n{text}" if state.draft else text
    if len(combined) > step.max_length:
        # All of it comes back (not only the last message), to shorten and send again.
        return replace(state, draft=""), [
            Reply(_too_long(strings, len(combined), step.max_length)),
            _echo(strings, combined),
        ]
    gathered = replace(state, draft=combined)
    done = Button(strings.plain("flow.done"), _data(flow, "d", step.id))
    return gathered, [Reply(strings("flow.noted", length=len(combined)), ((done,),))]


def _writes(step: Step) -> bool:
    """A step where people write at length (several messages, then Done)."""
    return step.kind is Kind.TEXT and not step.single


def _why(flow: Flow, step: Step, answers: dict[str, str]) -> Step | None:
    """The written follow-up of a choice ("Why?"): the next step, of the same question."""
    following = flow.step(_next_step(flow, step.id, answers))
    if following is None or not step.question or following.question != step.question:
        return None
    return following if _writes(following) else None


def _number(strings: Strings, count: int) -> str:
    return f"{count:,}".replace(",", strings.plain("flow.thousands"))


def _too_long(strings: Strings, length: int, limit: int) -> str:
    over = _number(strings, length - limit)
    return strings(
        "flow.too_long",
        length=_number(strings, length),
        limit=_number(strings, limit),
        over=over,
    )


def _echo(strings: Strings, text: str) -> Out:
    """The text as sent, in one message if it fits, else as a .txt file."""
    if len(text.encode("utf-16-le")) // 2 <= MAX_MESSAGE:
        return Reply(strings("flow.echo", text=text))
    return Document("answer.txt", text.encode(), strings("flow.echo_file"))


def _typed_choice(
    flow: Flow, state: FlowState, step: Step, text: str, strings: Strings
) -> tuple[FlowState, list[Out]]:
    """Text at a choice step: the choice it names, its words kept for the "why"; or a
    pointer to the buttons, the words kept for the next step written at length."""
    choices = [(v, _label(strings, flow, step, v)) for v in step.values()]
    found = match_choice(text, choices)
    if found is not None:
        answers = {**state.answers, step.id: found.value}
        why = _why(flow, step, answers)
        if found.whole or why is not None:
            if found.whole:
                return _choose(flow, state, step, found.value, strings)
            keeping = replace(state, kept=f"{state.kept}\n{text}" if state.kept else text)
            moved, replies = _choose(flow, keeping, step, found.value, strings)
            label = _label(strings, flow, step, found.value)
            return moved, [Reply(strings("flow.taken_with_text", choice=label)), *replies]
    labels = [label for _, label in choices]
    names = ", ".join(labels[:-1]) + strings.plain("flow.or") + labels[-1] if labels else ""
    ids = [s.id for s in flow.steps]
    later = next((s for s in flow.steps[ids.index(step.id) + 1 :] if _writes(s)), None)
    if later is None or state.editing:
        return state, [
            Reply(strings("flow.use_choice", choices=names)),
            _prompt(flow, step, state, strings),
        ]
    kept = f"{state.kept}\n{text}" if state.kept else text
    return replace(state, kept=kept), [
        Reply(strings("flow.use_choice_kept", choices=names, length=_number(strings, len(kept)))),
        _prompt(flow, step, state, strings),
    ]


def _single(
    flow: Flow, state: FlowState, step: Step, text: str, strings: Strings
) -> tuple[FlowState, list[Out]]:
    """A one-message answer (a name, an e-mail address): checked and taken at once."""
    value = text.strip()
    if len(value) > step.max_length:
        return state, [
            Reply(_too_long(strings, len(value), step.max_length)),
            _echo(strings, value),
        ]
    if len(value) < step.min_length:
        return state, [Reply(strings("flow.too_short", limit=step.min_length))]
    pattern = FORMATS.get(step.format)
    if pattern is not None and not pattern.match(value):
        return state, [Reply(strings(f"flow.invalid_{step.format}", text=value))]
    return _choose(flow, state, step, value, strings)


def _choose(
    flow: Flow, state: FlowState, step: Step, value: str, strings: Strings
) -> tuple[FlowState, list[Out]]:
    if step.must_be and value not in step.must_be:
        refused = replace(state, answers={**state.answers, step.id: value})
        return refused, [Reply(strings(step.refused)), _prompt(flow, step, refused, strings)]
    answered = replace(state, answers={**state.answers, step.id: value})
    return _move_on(flow, answered, strings)


def _press(
    flow: Flow, state: FlowState, event: Press, strings: Strings
) -> tuple[FlowState, list[Out]]:
    stale: list[Out] = [ClearButtons(stale=strings.plain("flow.stale"))]
    if event.action == "g":
        going, replies = _begin(flow, state, Begin(), strings)
        return going, [ClearButtons(), *replies]
    if event.action == "e":
        step = flow.step(event.step)
        if step is None or not _applies(step, state.answers):
            return state, stale
        origin = state.phase.value if state.phase is not Phase.ASKING else ""
        editing = replace(
            state,
            step=step.id,
            phase=Phase.ASKING,
            editing=bool(origin),
            edit_origin=origin,
            draft="",
            started=True,
            paused=False,
        )
        return editing, _ask(flow, editing, strings)
    if event.action == "a":
        if not review_action(flow, state, event):
            return state, stale
        # The shell shows what the action produced before the review, shown again below it.
        return state, [ClearButtons(), _review(flow, state, strings)]
    if event.action == "x":
        if state.phase is not Phase.REVIEW or not flow.cancellable:
            return state, stale
        return FlowState(flow.id), [ClearButtons(), Reply(strings(f"{flow.strings}.cancelled"))]
    if event.action == "k":
        if state.phase is not Phase.REVIEW:
            return state, stale
        blocking = next(
            (
                s
                for s in flow.steps
                if s.must_be
                and _applies(s, state.answers)
                and state.answers.get(s.id) not in s.must_be
            ),
            None,
        )
        if blocking is not None:
            back = replace(state, step=blocking.id, phase=Phase.ASKING, editing=True)
            return back, [Reply(strings(blocking.refused)), *_ask(flow, back, strings)]
        return replace(state, phase=Phase.DONE), [
            ClearButtons(),
            Reply(strings(f"{flow.strings}.done")),
        ]
    step = flow.step(state.step)
    if state.phase is not Phase.ASKING or step is None or event.step != step.id:
        return state, stale
    cleared: list[Out] = [ClearButtons()]
    if event.action == "c" and event.value in step.values():
        moved, replies = _choose(flow, state, step, event.value, strings)
        return moved, [*cleared, *replies]
    if event.action == "d" and step.kind is Kind.TEXT:
        text = state.draft.strip() or state.answers.get(step.id, "")
        if step.single and text:
            moved, replies = _single(flow, state, step, text, strings)
            return moved, [*cleared, *replies] if moved != state else replies
        if not text:
            return state, [Reply(strings("flow.write_first")), _prompt(flow, step, state, strings)]
        if len(text) < step.min_length:
            return state, [Reply(strings("flow.too_short", limit=step.min_length))]
        answer = state.draft if state.draft.strip() else text
        moved, replies = _choose(flow, state, step, answer, strings)
        return moved, [*cleared, *replies]
    if event.action == "s":
        if not step.skippable:
            return state, [Reply(strings("flow.required"))]
        moved, replies = _choose(flow, state, step, SKIPPED, strings)
        return moved, [*cleared, *replies]
    if event.action == "b":
        if state.editing:
            origin = Phase(state.edit_origin) if state.edit_origin else Phase.REVIEW
            back = replace(state, step="", phase=origin, editing=False, draft="", edit_origin="")
            return back, [*cleared, _review(flow, back, strings)]
        if not state.history:
            return state, [Reply(strings("flow.first_step"))]
        back = replace(state, step=state.history[-1], history=state.history[:-1], draft="")
        return back, [*cleared, *_ask(flow, back, strings)]
    return state, stale


def review_action(flow: Flow, state: FlowState, event: Event) -> str:
    """The id of the review action `event` presses, if the flow is at its review and
    offers it; "" for anything else (another button, a stale or forged press)."""
    if not isinstance(event, Press) or event.action != "a" or state.phase is not Phase.REVIEW:
        return ""
    return event.value if event.value in dict(flow.review_actions) else ""


def advance(
    flow: Flow, state: FlowState, event: Event, strings: Strings
) -> tuple[FlowState, list[Out]]:
    """The participant's next state and what to show them. Never raises on odd input."""
    if isinstance(event, Begin):
        return _begin(flow, state, event, strings)
    if isinstance(event, ShowAnswers):
        return state, [_review(flow, state, strings)]
    if isinstance(event, Text):
        if not state.started:
            return _begin(flow, state, Begin(), strings)
        return _text(flow, state, event.text, strings)
    if isinstance(event, NotText):
        step = flow.step(state.step)
        kind = (
            "flow.not_text" if step is not None and step.kind is Kind.TEXT else "flow.use_buttons"
        )
        return state, [Reply(strings(kind))]
    return _press(flow, state, event, strings)
