"""What the dialogue engine shows: a step's question with its buttons, the review, the notes."""

from __future__ import annotations

from collections.abc import Sequence

from flows.callback_data import decode, encode
from flows.model import SKIPPED, Flow, FlowState, Kind, Phase, Step, applies
from flows.participant_data import FlowAction, FlowButton
from flows.replies import Button, Document, Out, Reply
from flows.strings import Markup, Strings

__all__ = [
    "MAX_MESSAGE",
    "button_data",
    "current_reply",
    "echo",
    "flow_code",
    "number",
    "option_label",
    "prompt_reply",
    "review_reply",
    "shown_value",
    "too_long",
]

REVIEW_SNIPPET = 300  # of an earlier answer shown under its question again
MAX_MESSAGE = 4096  # Telegram's limit, in UTF-16 units: a longer echo goes as a file


def button_data(flow: Flow, action: str, step: str = "", value: str = "") -> str:
    """A dialogue button's callback data; `action` is a FlowAction's letter."""
    return encode(FlowButton(flow.code, FlowAction(action), step, value))


def flow_code(data: Sequence[str]) -> str:
    """The code of the flow whose buttons carry these callback data (`f:<code>:…`), or
    "" for a message with none of a dialogue's buttons."""
    for item in data:
        pressed = decode(item)
        if isinstance(pressed, FlowButton):
            return pressed.code
    return ""


def option_label(strings: Strings, flow: Flow, step: Step, value: str) -> str:
    if step.kind is Kind.SCALE:
        return value
    if value in flow.labels:
        return flow.labels[value]
    return strings.plain(f"{flow.strings}.options.{value}")


def shown_value(flow: Flow, step: Step, value: str, strings: Strings) -> str:
    """An answer as people read it: typed text as typed, a choice by its label."""
    return (
        value if step.kind is Kind.TEXT or not value else option_label(strings, flow, step, value)
    )


def prompt_reply(flow: Flow, step: Step, state: FlowState, strings: Strings) -> Reply:
    """The question of `step`, with its answer buttons and Back / Skip / Done."""
    text = strings(step.prompt)
    previous = state.answers.get(step.id)
    if previous:
        shown = (
            option_label(strings, flow, step, previous) if step.kind is not Kind.TEXT else previous
        )
        text += "\n\n" + strings("flow.previous", answer=snippet(shown))
    if step.kind is Kind.TEXT and state.draft:
        text += "\n\n" + strings("flow.draft", length=len(state.draft))
    rows: list[tuple[Button, ...]] = []
    values = step.values()
    per_row = 5 if step.kind is Kind.SCALE else 1
    for index in range(0, len(values), per_row):
        rows.append(
            tuple(
                Button(option_label(strings, flow, step, v), button_data(flow, "c", step.id, v))
                for v in values[index : index + per_row]
            )
        )
    nav: list[Button] = []
    if state.history or state.editing:
        nav.append(Button(strings.plain("flow.back"), button_data(flow, "b", step.id)))
    if step.skippable:
        nav.append(Button(strings.plain("flow.skip"), button_data(flow, "s", step.id)))
    if step.kind is Kind.TEXT and (state.draft or previous):
        nav.append(Button(strings.plain("flow.done"), button_data(flow, "d", step.id)))
    if nav:
        rows.append(tuple(nav))
    return Reply(text, tuple(rows))


def current_reply(flow: Flow, state: FlowState, strings: Strings) -> Reply:
    """Where they are: the current step's question, or the review once past the steps."""
    if state.phase is not Phase.ASKING:
        return review_reply(flow, state, strings)
    step = flow.step(state.step)
    assert step is not None
    return prompt_reply(flow, step, state, strings)


def snippet(text: str) -> str:
    return text if len(text) <= REVIEW_SNIPPET else text[: REVIEW_SNIPPET - 1] + "…"


def review_reply(flow: Flow, state: FlowState, strings: Strings) -> Reply:
    """Every answer in full (the shell splits a long review into several messages)."""
    header = f"{flow.strings}.review"
    if state.phase is Phase.DONE and strings.has(f"{header}_done"):
        header += "_done"  # nothing left to confirm
    lines = [strings(header)]
    buttons: list[Button] = []
    for step in flow.steps:
        if not applies(step, state.answers):
            continue
        value = state.answers.get(step.id, SKIPPED)
        shown = (
            option_label(strings, flow, step, value)
            if value and step.kind is not Kind.TEXT
            else value
        )
        answer = shown or strings.plain("flow.skipped")
        if step.format == "html" and value:
            answer = Markup(value)  # the organiser's own formatting, shown as it will be sent
        lines.append(strings("flow.review_line", label=strings.plain(step.label), answer=answer))
        buttons.append(Button(f"✏️ {strings.plain(step.label)}", button_data(flow, "e", step.id)))
    rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
    if state.phase is Phase.REVIEW:
        rows += [
            (Button(strings.plain(label), button_data(flow, "a", "review", action)),)
            for action, label in flow.review_actions
        ]
        final = [Button(strings.plain("flow.confirm"), button_data(flow, "k", "review"))]
        if flow.cancellable:
            final.append(Button(strings.plain("flow.cancel"), button_data(flow, "x", "review")))
        rows.append(tuple(final))
    return Reply("\n\n".join(lines), tuple(rows))


def number(strings: Strings, count: int) -> str:
    return f"{count:,}".replace(",", strings.plain("flow.thousands"))


def too_long(strings: Strings, length: int, limit: int) -> str:
    over = number(strings, length - limit)
    return strings(
        "flow.too_long",
        length=number(strings, length),
        limit=number(strings, limit),
        over=over,
    )


def echo(strings: Strings, text: str) -> Out:
    """The text as sent, in one message if it fits, else as a .txt file."""
    if len(text.encode("utf-16-le")) // 2 <= MAX_MESSAGE:
        return Reply(strings("flow.echo", text=text))
    return Document("answer.txt", text.encode(), strings("flow.echo_file"))
