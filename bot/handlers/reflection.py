"""The five reflection questions: /reflect, /myanswers, "Reflect on this now", typed answers."""

from __future__ import annotations

from datetime import datetime

from telegram import Update

from bot.context import BotContext
from bot.handlers.common import respond
from bot.handlers.flows import load_flow_state, run_flow
from bot.settings import Settings
from flows.engine import Begin, Phase, Press, ShowAnswers
from flows.replies import ClearButtons, Reply

__all__ = ["edit_guard", "edits_close_at", "my_answers", "reflect_now", "start_reflection"]

REFLECTION = "reflection"


def edits_close_at(settings: Settings) -> datetime | None:
    """Answers can be changed until the first session's registration closes (or it starts)."""
    if not settings.sessions:
        return None
    session = settings.sessions[0]
    return session.registration_closes_at or session.starts_at


def _closed(context: BotContext) -> bool:
    closes = edits_close_at(context.settings)
    return closes is not None and context.clock.now() >= closes


async def start_reflection(update: Update, context: BotContext) -> None:
    """Starts the five questions, or shows where the participant stands."""
    flow = context.bot_data.content.flows[REFLECTION]
    state = await load_flow_state(context, flow)
    if state.phase is Phase.DONE and _closed(context):
        await respond(update, context, [Reply(context.strings("flow.closed"))])
        return
    await run_flow(update, context, flow, Begin())


async def reflect_now(update: Update, context: BotContext) -> None:
    """From the last card of a part: straight to that part's question."""
    query = update.callback_query
    assert query is not None
    flow = context.bot_data.content.flows[REFLECTION]
    question = (query.data or "").removeprefix("r:")
    step = next((s.id for s in flow.steps if s.question == question), "")
    if _closed(context):
        await respond(update, context, [Reply(context.strings("flow.closed"))])
        return
    await run_flow(update, context, flow, Begin(step=step), first=(ClearButtons(),))


async def my_answers(update: Update, context: BotContext) -> None:
    """Shows the participant's own answers, each with an Edit button."""
    flow = context.bot_data.content.flows[REFLECTION]
    state = await load_flow_state(context, flow)
    if not state.answers:
        await respond(update, context, [Reply(context.strings("reflection.my_answers_empty"))])
        return
    await run_flow(update, context, flow, ShowAnswers())


async def edit_guard(update: Update, context: BotContext, press: Press) -> bool:
    """Edits of the reflections stop when the session's registration closes."""
    if press.action == "e" and _closed(context):
        await respond(update, context, [Reply(context.strings("flow.closed"))])
        return False
    return True
