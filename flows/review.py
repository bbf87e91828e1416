"""The review's buttons in the dialogue machine: Edit an answer, a review action, Confirm, Cancel.

Edit also serves a jump to a step once the flow is past its steps (`Begin(step)`).
A review action is only named here (`review_action`); the shell does it.
"""

from __future__ import annotations

from dataclasses import replace

from flows.model import Event, Flow, FlowState, Phase, Press, applies
from flows.replies import ClearButtons, Out, Reply
from flows.strings import Strings
from flows.views import current_reply, review_reply

__all__ = ["Moved", "edit", "review_action", "review_press"]

Moved = tuple[FlowState, list[Out]]


def edit(flow: Flow, state: FlowState, step_id: str, strings: Strings) -> Moved:
    """Back to `step_id` to answer it again; from the review (or done), back there after."""
    step = flow.step(step_id)
    if step is None or not applies(step, state.answers):
        return state, [ClearButtons(stale=strings.plain("flow.stale"))]
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
    return editing, [current_reply(flow, editing, strings)]


def review_action(flow: Flow, state: FlowState, event: Event) -> str:
    """The id of the review action `event` presses, if the flow is at its review and
    offers it; "" for anything else (another button, a stale or forged press)."""
    if not isinstance(event, Press) or event.action != "a" or state.phase is not Phase.REVIEW:
        return ""
    return event.value if event.value in dict(flow.review_actions) else ""


def _confirm(flow: Flow, state: FlowState, strings: Strings) -> Moved:
    """Done, unless an answer the flow cannot go on without was changed since."""
    blocking = next(
        (
            s
            for s in flow.steps
            if s.must_be and applies(s, state.answers) and state.answers.get(s.id) not in s.must_be
        ),
        None,
    )
    if blocking is not None:
        back = replace(state, step=blocking.id, phase=Phase.ASKING, editing=True)
        return back, [Reply(strings(blocking.refused)), current_reply(flow, back, strings)]
    return replace(state, phase=Phase.DONE), [
        ClearButtons(),
        Reply(strings(f"{flow.strings}.done")),
    ]


def review_press(flow: Flow, state: FlowState, event: Press, strings: Strings) -> Moved | None:
    """What a press of Edit, a review action, Confirm or Cancel does; None for any other."""
    stale: Moved = state, [ClearButtons(stale=strings.plain("flow.stale"))]
    if event.action == "e":
        return edit(flow, state, event.step, strings)
    if event.action == "a":
        if not review_action(flow, state, event):
            return stale
        # The shell shows what the action produced before the review, shown again below it.
        return state, [ClearButtons(), review_reply(flow, state, strings)]
    if event.action == "x":
        if state.phase is not Phase.REVIEW or not flow.cancellable:
            return stale
        return FlowState(flow.id), [ClearButtons(), Reply(strings(f"{flow.strings}.cancelled"))]
    if event.action == "k":
        return _confirm(flow, state, strings) if state.phase is Phase.REVIEW else stale
    return None
