"""Runs any dialogue of the flow engine: load state, advance, save (with answers), show."""

from __future__ import annotations

from datetime import datetime

from telegram import Update

from bot.shell.context import BotContext
from bot.shell.handlers import participant
from bot.shell.handlers.common import respond
from bot.shell.handlers.fallbacks import stale_button
from flows.callback_data import decode
from flows.engine import advance
from flows.model import Event, Flow, FlowState, NotText, Phase, Press, Text
from flows.participant_data import FlowButton
from flows.replies import ClearButtons, Out, Reply
from flows.review import review_action
from store import answers, prompts

__all__ = [
    "flow_button",
    "flow_by_code",
    "load_flow_state",
    "not_text",
    "run_flow",
    "text",
]


def flow_by_code(context: BotContext, code: str) -> Flow | None:
    return next((f for f in context.content.flows.values() if f.code == code), None)


async def load_flow_state(context: BotContext, flow: Flow) -> FlowState:
    participant = context.participant
    assert participant is not None
    saved = await answers.load_state(context.store, participant.telegram_id, flow.id)
    return FlowState.from_json(saved) if saved else FlowState(flow.id)


def _changed(flow: Flow, before: FlowState, after: FlowState) -> dict[str, tuple[str, str]]:
    changed: dict[str, tuple[str, str]] = {}
    for step_id, value in after.answers.items():
        if before.answers.get(step_id) != value:
            step = flow.step(step_id)
            changed[step_id] = (step.question if step else "", value)
    return changed


async def run_flow(
    update: Update,
    context: BotContext,
    flow: Flow,
    event: Event,
    *,
    first: tuple[Out, ...] = (),
    now: datetime | None = None,
    state: FlowState | None = None,
) -> tuple[FlowState, FlowState]:
    """Advance the participant's dialogue by one event; saved before anything is shown.

    `state` replaces the saved state (a fresh start with pre-filled answers).
    """
    participant = context.participant
    assert participant is not None
    before = state or await load_flow_state(context, flow)
    after, replies = advance(flow, before, event, context.strings)
    # The flow's side effect on a Confirm (registering, queueing a broadcast) comes first:
    # if it fails, nothing is saved or shown, and the same button works again.
    hook = context.bot_data.flow_hooks.get(flow.kind)
    confirmed = after.phase is Phase.DONE and before.phase is not Phase.DONE
    outcome = await hook(update, context, after) if hook and confirmed else []
    # A state handed in (a fresh start) differs from the stored one: always save it.
    if after != before or state is not None:
        await answers.save_step(
            context.store,
            participant.telegram_id,
            flow.id,
            state=after.to_json(),
            listening=after.listening,
            changed=_changed(flow, before, after),
            now=now or context.clock.now(),
        )
    preview = context.bot_data.flow_previews.get(flow.kind)
    extra = await preview(context, before, after) if preview is not None else []
    # A review action (e.g. "Send to me first") changes no state: what it shows comes
    # before the review, which the engine shows again below it.
    action = review_action(flow, before, event)
    act = context.bot_data.flow_actions.get(flow.kind) if action else None
    if act is not None:
        extra = [*extra, *await act(update, context, before, action)]
    clears = [r for r in replies if isinstance(r, ClearButtons)]
    if isinstance(event, Text) and (after != before or _asks_again(replies)):
        # The typed text answered the prompt (or a newer one follows): its Skip, Back or
        # Done no longer looks pressable. Only this flow's own buttons are taken off.
        answered = await prompts.last(context.store, participant.telegram_id, flow.code)
        if answered is not None:
            clears.insert(0, ClearButtons(message_id=answered))
    others = [r for r in replies if not isinstance(r, ClearButtons)]
    view = context.bot_data.flow_views.get(flow.kind)
    if view is not None:
        others = [r for r in await view(context, others) if not isinstance(r, ClearButtons)]
    if any(isinstance(r, Reply) and r.edit for r in outcome):
        # The hook answered by rewriting the card ("You're registered", "on the waitlist
        # as number 3"): the flow's generic done message would only contradict it.
        others = [r for r in others if not (isinstance(r, Reply) and after.phase is Phase.DONE)]
    await respond(update, context, [*first, *clears, *extra, *others, *outcome])
    return before, after


def _asks_again(replies: list[Out]) -> bool:
    """Whether the replies bring a new message with the flow's buttons."""
    return any(isinstance(r, Reply) and r.buttons and not r.edit for r in replies)


async def flow_button(update: Update, context: BotContext) -> None:
    """Any button of a dialogue: a choice, Done, Back, Skip, Edit, Confirm or a review action."""
    query = update.callback_query
    assert query is not None
    pressed = decode(query.data or "")
    flow = flow_by_code(context, pressed.code) if isinstance(pressed, FlowButton) else None
    if not isinstance(pressed, FlowButton) or flow is None:
        await stale_button(update, context)
        return
    press = Press(pressed.action.value, pressed.step, pressed.value)
    guard = context.bot_data.flow_guards.get(flow.kind)
    if guard is not None and not await guard(update, context, press):
        return
    await run_flow(update, context, flow, press)


async def _active(context: BotContext) -> Flow | None:
    assert context.participant is not None
    flow_id = await answers.active_flow(context.store, context.participant.telegram_id)
    return context.content.flows.get(flow_id or "")


async def text(update: Update, context: BotContext) -> None:
    """Typed text: an answer when a dialogue is listening, else a friendly pointer."""
    message = update.effective_message
    assert message is not None
    flow = await _active(context)
    if flow is None:
        await participant.stray_text(update, context)
        return
    state = await load_flow_state(context, flow)
    step = flow.step(state.step)
    # A step of format "html" keeps the person's own formatting (bold, italic, links).
    typed = message.text_html if step is not None and step.format == "html" else message.text
    await run_flow(update, context, flow, Text(typed or ""))


async def not_text(update: Update, context: BotContext) -> None:
    """A sticker, photo, voice note or file: explained kindly; a dialogue stays where it was."""
    flow = await _active(context)
    if flow is None:
        await participant.not_text(update, context)
        return
    await run_flow(update, context, flow, NotText())
