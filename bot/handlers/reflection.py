"""The five reflection questions: /reflect, /myanswers, "Reflect on this now", typed answers."""

from __future__ import annotations

from datetime import datetime

from telegram import Update

from bot.context import BotContext
from bot.handlers import participant
from bot.handlers.common import respond
from bot.handlers.flows import flow_by_code, load_flow_state, parse_press, run_flow
from bot.settings import Settings
from flows.engine import Begin, NotText, Phase, ShowAnswers, Text
from flows.replies import ClearButtons, Reply
from store import answers

__all__ = [
    "flow_button",
    "my_answers",
    "not_text",
    "reflect_now",
    "start_reflection",
    "text",
]

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


async def flow_button(update: Update, context: BotContext) -> None:
    """Any button of a dialogue: a choice, Done, Back, Skip, Edit or Confirm."""
    query = update.callback_query
    assert query is not None
    parsed = parse_press(query.data or "")
    flow = flow_by_code(context, parsed[0]) if parsed else None
    if parsed is None or flow is None:
        await participant.stale_button(update, context)
        return
    press = parsed[1]
    if press.action == "e" and _closed(context):
        await respond(update, context, [Reply(context.strings("flow.closed"))])
        return
    await run_flow(update, context, flow, press)


async def my_answers(update: Update, context: BotContext) -> None:
    """Shows the participant's own answers, each with an Edit button."""
    flow = context.bot_data.content.flows[REFLECTION]
    state = await load_flow_state(context, flow)
    if not state.answers:
        await respond(update, context, [Reply(context.strings("reflection.my_answers_empty"))])
        return
    await run_flow(update, context, flow, ShowAnswers())


async def _active(context: BotContext) -> str | None:
    assert context.participant is not None
    return await answers.active_flow(context.store, context.participant.telegram_id)


async def text(update: Update, context: BotContext) -> None:
    """Typed text: an answer when a dialogue is listening, else a friendly pointer."""
    message = update.effective_message
    assert message is not None
    active = await _active(context)
    if active is None or active not in context.bot_data.content.flows:
        await participant.stray_text(update, context)
        return
    flow = context.bot_data.content.flows[active]
    await run_flow(update, context, flow, Text(message.text or ""))


async def not_text(update: Update, context: BotContext) -> None:
    """A sticker, photo, voice note or file: explained kindly; a dialogue stays where it was."""
    active = await _active(context)
    if active is None or active not in context.bot_data.content.flows:
        await participant.not_text(update, context)
        return
    await run_flow(update, context, context.bot_data.content.flows[active], NotText())
