"""The five reflection questions: /reflect, /myanswers, "Reflect on this now", typed answers."""

from __future__ import annotations

from datetime import datetime

from telegram import Update

from bot.base.settings import Settings
from bot.services.followup import AFTER_FLOW
from bot.shell.context import BotContext
from bot.shell.handlers.common import respond
from bot.shell.handlers.fallbacks import stale_button
from bot.shell.handlers.flows import load_flow_state, run_flow
from flows.callback_data import decode, encode
from flows.model import Begin, Flow, FlowState, Phase, Press, ShowAnswers
from flows.participant_data import AfterSession, QuoteChoice, ReflectNow
from flows.replies import Button, ClearButtons, Out, Reply
from flows.strings import Strings
from store import consent, registrations
from store.consent import Quote
from store.registrations import RegistrationStatus

__all__ = [
    "after_guard",
    "edit_guard",
    "edits_close_at",
    "my_answers",
    "on_confirm",
    "quote_button",
    "reflect_now",
    "reflection_flow",
    "start_after",
    "start_reflection",
]

ATTENDED = RegistrationStatus.ATTENDED


def edits_close_at(settings: Settings) -> datetime | None:
    """Answers can be changed until the first session's registration closes (or it starts)."""
    if not settings.sessions:
        return None
    session = settings.sessions[0]
    return session.registration_closes_at or session.starts_at


async def reflection_flow(context: BotContext) -> Flow:
    """The participant's reflection flow: the one for their session (content/flows/)."""
    content = context.content
    if len(content.reflections) == 1:
        return content.reflections[0]  # no need to ask which session they are in
    assert context.participant is not None
    live = await registrations.live(context.store, context.participant.telegram_id)
    return content.reflection_for(r.session_id for r in live)


def _closed(context: BotContext) -> bool:
    closes = edits_close_at(context.settings)
    return closes is not None and context.clock.now() >= closes


async def start_reflection(update: Update, context: BotContext) -> None:
    """Starts the five questions, or shows where the participant stands."""
    flow = await reflection_flow(context)
    state = await load_flow_state(context, flow)
    if state.phase is Phase.DONE and _closed(context):
        await respond(update, context, [Reply(context.strings("flow.closed"))])
        return
    await run_flow(update, context, flow, Begin())


async def reflect_now(update: Update, context: BotContext) -> None:
    """From the last card of a part: straight to that part's question."""
    query = update.callback_query
    assert query is not None
    flow = await reflection_flow(context)
    pressed = decode(query.data or "")
    if not isinstance(pressed, ReflectNow):
        await stale_button(update, context)
        return
    question = pressed.question
    step = next((s.id for s in flow.steps if s.question == question), "")
    if _closed(context):
        await respond(update, context, [Reply(context.strings("flow.closed"))])
        return
    assert context.participant is not None
    course = context.content.course(context.participant.language)
    part = next((s for s in course.sections if s.question == question), None)
    # After the last part there is no more course to go back to: the questions go on.
    last = part is not None and course.after(part.id) is None
    begin = Begin(step=step, pause=not last)
    await run_flow(update, context, flow, begin, first=(ClearButtons(),))


async def my_answers(update: Update, context: BotContext) -> None:
    """Shows the participant's own answers, each with an Edit button, then how each
    may be quoted (a tap on a question moves it to the next choice)."""
    flow = await reflection_flow(context)
    state = await load_flow_state(context, flow)
    if not state.answers:
        await respond(update, context, [Reply(context.strings("reflection.my_answers_empty"))])
        return
    await run_flow(update, context, flow, ShowAnswers())
    await respond(update, context, [await _quote_panel(context, edit=False)])


async def on_confirm(update: Update, context: BotContext, after: FlowState) -> list[Out]:
    """On the first Confirm: ask how the five answers may be quoted in the live session
    (after a later edit the choices stand; /myanswers changes them)."""
    assert context.participant is not None
    if await consent.choices(context.store, context.participant.telegram_id):
        return []
    strings = context.strings
    return [
        Reply(
            strings("quote.ask"),
            tuple((Button(_label(strings, q), encode(QuoteChoice(None, q.value))),) for q in Quote),
        )
    ]


async def quote_button(update: Update, context: BotContext) -> None:
    """qc:*:<choice> (all answers, after Confirm) or qc:<question>:<choice> (/myanswers)."""
    query = update.callback_query
    assert query is not None
    assert context.participant is not None
    pressed = decode(query.data or "")
    questions = context.content.question_ids
    if (
        not isinstance(pressed, QuoteChoice)
        or pressed.choice not in {q.value for q in Quote}
        or (pressed.question is not None and pressed.question not in questions)
    ):
        await stale_button(update, context)
        return
    choice = Quote(pressed.choice)
    chosen = questions if pressed.question is None else (pressed.question,)
    await consent.set_choice(
        context.store, context.participant.telegram_id, chosen, choice, context.clock.now()
    )
    if pressed.question is None:
        saved = context.strings("quote.saved", choice=_label(context.strings, choice))
        await respond(update, context, [Reply(saved, edit=True)])
    else:
        await respond(update, context, [await _quote_panel(context, edit=True)])


def _label(strings: Strings, choice: Quote) -> str:
    return strings.plain(f"quote.{choice.value}")


async def _quote_panel(context: BotContext, *, edit: bool) -> Reply:
    """Each question answered, with its current choice; a tap moves it on to the next."""
    assert context.participant is not None
    strings = context.strings
    flow = await reflection_flow(context)
    state = await load_flow_state(context, flow)
    answered = {s.question for s in flow.steps if s.question and state.answers.get(s.id)}
    chosen = await consent.choices(context.store, context.participant.telegram_id)
    default = Quote(context.settings.privacy.quote_default)
    order = list(Quote)
    rows = []
    for question, title in context.content.question_titles(strings).items():
        if question not in answered:
            continue
        now = chosen.get(question, default)
        following = order[(order.index(now) + 1) % len(order)]
        rows.append(
            (
                Button(
                    f"{title}: {_label(strings, now)}",
                    encode(QuoteChoice(question, following.value)),
                ),
            )
        )
    return Reply(strings("quote.mine"), tuple(rows), edit=edit)


async def edit_guard(update: Update, context: BotContext, press: Press) -> bool:
    """Edits of the reflections stop when the session's registration closes."""
    if press.action == "e" and _closed(context):
        await respond(update, context, [Reply(context.strings("flow.closed"))])
        return False
    return True


async def _attended(context: BotContext, session_id: str | None = None) -> bool:
    assert context.participant is not None
    live = await registrations.live(context.store, context.participant.telegram_id)
    return any(r.status is ATTENDED and session_id in (None, r.session_id) for r in live)


async def start_after(update: Update, context: BotContext) -> None:
    """after:<session>: the invitation's button starts the one more question after the
    session (for someone marked as attended in it; any other press is stale)."""
    query = update.callback_query
    assert query is not None
    pressed = decode(query.data or "")
    if not isinstance(pressed, AfterSession) or not await _attended(context, pressed.session):
        await stale_button(update, context)
        return
    flow = context.content.flows[AFTER_FLOW]
    await run_flow(update, context, flow, Begin(), first=(ClearButtons(),))


async def after_guard(update: Update, context: BotContext, press: Press) -> bool:
    """The question after the session is only for those who attended one (a forged
    button of its dialogue is stale)."""
    if await _attended(context):
        return True
    await stale_button(update, context)
    return False
