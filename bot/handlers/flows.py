"""Runs any dialogue of the flow engine: load state, advance, save (with answers), show."""

from __future__ import annotations

from datetime import datetime

from telegram import Update

from bot.context import BotContext
from bot.handlers.common import respond
from flows.engine import Event, Flow, FlowState, Press, advance
from flows.replies import Out
from store import answers

__all__ = ["flow_by_code", "load_flow_state", "parse_press", "run_flow"]


def parse_press(data: str) -> tuple[str, Press] | None:
    """Callback data `f:<flow code>:<action>:<step>:<value>` → (code, Press)."""
    parts = data.split(":")
    if len(parts) != 5 or parts[0] != "f":
        return None
    return parts[1], Press(parts[2], parts[3], parts[4])


def flow_by_code(context: BotContext, code: str) -> Flow | None:
    return next((f for f in context.bot_data.content.flows.values() if f.code == code), None)


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
) -> tuple[FlowState, FlowState]:
    """Advance the participant's dialogue by one event; saved before anything is shown."""
    participant = context.participant
    assert participant is not None
    before = await load_flow_state(context, flow)
    after, replies = advance(flow, before, event, context.strings)
    if after != before:
        await answers.save_step(
            context.store,
            participant.telegram_id,
            flow.id,
            state=after.to_json(),
            listening=after.listening,
            changed=_changed(flow, before, after),
            now=now or context.clock.now(),
        )
    shown: list[Out] = [*first, *replies]
    await respond(update, context, shown)
    return before, after
