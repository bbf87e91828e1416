"""The dialogue machine: `advance(flow, state, event, strings) -> (state, replies)`.

Steps ask for free text, a choice, a 1-5 scale or yes/no (flows/model.py); every flow
gets Back, Skip (where allowed), a review with an Edit button per answer, and Confirm
(those buttons: flows/review.py). Pure: no Telegram, no database, no clock. Buttons
carry their step, so a press from an earlier step is recognised as stale and changes nothing.
"""

from __future__ import annotations

from dataclasses import replace

from flows.model import (
    FORMATS,
    SKIPPED,
    Begin,
    Event,
    Flow,
    FlowState,
    Kind,
    NotText,
    Phase,
    Press,
    ShowAnswers,
    Step,
    Text,
    applies,
    next_step,
    why_step,
)
from flows.replies import Button, ClearButtons, Out, Reply
from flows.review import edit, review_press
from flows.strings import Strings
from flows.typed import match_choice
from flows.views import (
    button_data,
    current_reply,
    echo,
    number,
    option_label,
    prompt_reply,
    review_reply,
    too_long,
)

__all__ = ["advance"]


def _move_on(flow: Flow, state: FlowState, strings: Strings) -> tuple[FlowState, list[Out]]:
    """The current step is answered: next step, the review, or a pause after a jump."""
    current = flow.step(state.step)
    assert current is not None
    following = next_step(flow, state.step, state.answers)
    # A question never asked yet (after a jump or an edit) comes before any review.
    missing = next(
        (s.id for s in flow.steps if applies(s, state.answers) and s.id not in state.answers),
        "",
    )
    if not following or following in state.answers or state.editing:
        following = missing
    why = why_step(flow, current, state.answers)
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
        return done, [review_reply(flow, done, strings)]
    moved = replace(
        state,
        step=following,
        draft="",
        history=(*state.history, state.step),
        editing=state.editing and following_step is why and why is not None,
    )
    if state.kept and following_step is not None and following_step.writes:
        moved = replace(moved, draft=state.kept, kept="")
    if state.stop_after and following_step and following_step.question != state.stop_after:
        paused = replace(moved, stop_after="", paused=True)
        buttons = (
            *(Button(strings.plain(key), data) for key, data in flow.exit_buttons),
            Button(strings.plain("flow.keep_going"), button_data(flow, "g")),
        )
        return paused, [Reply(strings(f"{flow.strings}.paused"), tuple((b,) for b in buttons))]
    return moved, [current_reply(flow, moved, strings)]


def _begin(
    flow: Flow, state: FlowState, event: Begin, strings: Strings
) -> tuple[FlowState, list[Out]]:
    state = replace(state, paused=False)
    target = flow.step(event.step) if event.step else None
    if target is not None and state.phase is not Phase.ASKING:
        return edit(flow, state, target.id, strings)
    if target is not None:
        stop = (target.question or target.id) if event.pause else ""
        jumped = replace(state, step=target.id, started=True, draft="", stop_after=stop)
        if state.step and state.step != target.id:
            jumped = replace(jumped, history=(*state.history, state.step))
        return jumped, [current_reply(flow, jumped, strings)]
    if not state.started:
        first = next_step(flow, "", state.answers)
        begun = replace(state, step=first, started=True)
        return begun, [Reply(strings(f"{flow.strings}.intro")), current_reply(flow, begun, strings)]
    if state.phase is Phase.DONE:
        return state, [
            Reply(strings(f"{flow.strings}.already_done")),
            review_reply(flow, state, strings),
        ]
    return state, [current_reply(flow, state, strings)]


def _text(flow: Flow, state: FlowState, text: str, strings: Strings) -> tuple[FlowState, list[Out]]:
    step = flow.step(state.step)
    if state.phase is not Phase.ASKING or step is None:
        return state, [Reply(strings("flow.use_buttons")), current_reply(flow, state, strings)]
    if step.kind is not Kind.TEXT:
        return _typed_choice(flow, state, step, text, strings)
    if step.single:
        return _single(flow, state, step, text, strings)
    combined = f"{state.draft}\n{text}" if state.draft else text
    if len(combined) > step.max_length:
        # All of it comes back (not only the last message), to shorten and send again.
        return replace(state, draft=""), [
            Reply(too_long(strings, len(combined), step.max_length)),
            echo(strings, combined),
        ]
    gathered = replace(state, draft=combined)
    done = Button(strings.plain("flow.done"), button_data(flow, "d", step.id))
    return gathered, [Reply(strings("flow.noted", length=len(combined)), ((done,),))]


def _typed_choice(
    flow: Flow, state: FlowState, step: Step, text: str, strings: Strings
) -> tuple[FlowState, list[Out]]:
    """Text at a choice step: the choice it names, its words kept for the "why"; or a
    pointer to the buttons, the words kept for the next step written at length."""
    choices = [(v, option_label(strings, flow, step, v)) for v in step.values()]
    found = match_choice(text, choices)
    if found is not None:
        answers = {**state.answers, step.id: found.value}
        why = why_step(flow, step, answers)
        if found.whole or why is not None:
            if found.whole:
                return _choose(flow, state, step, found.value, strings)
            keeping = replace(state, kept=f"{state.kept}\n{text}" if state.kept else text)
            moved, replies = _choose(flow, keeping, step, found.value, strings)
            label = option_label(strings, flow, step, found.value)
            return moved, [Reply(strings("flow.taken_with_text", choice=label)), *replies]
    labels = [label for _, label in choices]
    names = ", ".join(labels[:-1]) + strings.plain("flow.or") + labels[-1] if labels else ""
    ids = [s.id for s in flow.steps]
    later = next((s for s in flow.steps[ids.index(step.id) + 1 :] if s.writes), None)
    if later is None or state.editing:
        return state, [
            Reply(strings("flow.use_choice", choices=names)),
            prompt_reply(flow, step, state, strings),
        ]
    kept = f"{state.kept}\n{text}" if state.kept else text
    return replace(state, kept=kept), [
        Reply(strings("flow.use_choice_kept", choices=names, length=number(strings, len(kept)))),
        prompt_reply(flow, step, state, strings),
    ]


def _single(
    flow: Flow, state: FlowState, step: Step, text: str, strings: Strings
) -> tuple[FlowState, list[Out]]:
    """A one-message answer (a name, an e-mail address): checked and taken at once."""
    value = text.strip()
    if len(value) > step.max_length:
        return state, [
            Reply(too_long(strings, len(value), step.max_length)),
            echo(strings, value),
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
        return refused, [Reply(strings(step.refused)), prompt_reply(flow, step, refused, strings)]
    answered = replace(state, answers={**state.answers, step.id: value})
    return _move_on(flow, answered, strings)


def _press(
    flow: Flow, state: FlowState, event: Press, strings: Strings
) -> tuple[FlowState, list[Out]]:
    stale: list[Out] = [ClearButtons(stale=strings.plain("flow.stale"))]
    if event.action == "g":
        going, replies = _begin(flow, state, Begin(), strings)
        return going, [ClearButtons(), *replies]
    reviewed = review_press(flow, state, event, strings)
    if reviewed is not None:
        return reviewed
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
            return state, [
                Reply(strings("flow.write_first")),
                prompt_reply(flow, step, state, strings),
            ]
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
            return back, [*cleared, review_reply(flow, back, strings)]
        if not state.history:
            return state, [Reply(strings("flow.first_step"))]
        back = replace(state, step=state.history[-1], history=state.history[:-1], draft="")
        return back, [*cleared, current_reply(flow, back, strings)]
    return state, stale


def advance(
    flow: Flow, state: FlowState, event: Event, strings: Strings
) -> tuple[FlowState, list[Out]]:
    """The participant's next state and what to show them. Never raises on odd input."""
    if isinstance(event, Begin):
        return _begin(flow, state, event, strings)
    if isinstance(event, ShowAnswers):
        return state, [review_reply(flow, state, strings)]
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
