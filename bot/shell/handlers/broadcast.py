"""The organisers' broadcast composer: the dialogue's hooks, the audiences with counts.

(/broadcasts and its pause, resume, cancel: bot/shell/handlers/broadcasts.py.)"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial

from telegram import Update

from bot.services import audiences
from bot.services.audiences import GROUPS, Group
from bot.services.broadcast import message_reply, parse_when, staff_ids
from bot.shell.context import BotContext
from bot.shell.handlers.common import respond
from bot.shell.handlers.flows import load_flow_state, run_flow
from bot.shell.roles import has_role
from flows.callback_data import decode, encode
from flows.engine import advance
from flows.model import Begin, FlowState, Phase, Press
from flows.participant_data import FlowAction, FlowButton
from flows.replies import Button, ClearButtons, Out, Reply
from flows.staff_data import AudienceGroup
from flows.when import long_date_time
from store import audit
from store.roles import Role

__all__ = [
    "audience_group",
    "audience_label",
    "audience_view",
    "guard",
    "on_action",
    "on_confirm",
    "preview",
    "start_broadcast",
    "when_text",
]

BROADCAST = "broadcast"
TEST = "test"  # the review action "Send to me first" (content/flows/broadcast.toml)
AUDIENCE = "audience"


def _button(answers: dict[str, str]) -> tuple[str, str] | None:
    raw = answers.get("button", "")
    if "|" not in raw:
        return None
    label, url = (part.strip() for part in raw.split("|", 1))
    return label, url


def _versions(context: BotContext, answers: dict[str, str]) -> dict[str, str]:
    """The message in each other language the bot speaks, where the organiser gave one."""
    content = context.content
    others = [code for code in content.languages if code != content.default_language]
    return {code: answers[f"message_{code}"] for code in others if answers.get(f"message_{code}")}


def _as_sent(answers: dict[str, str], html: str) -> Reply:
    """The message as participants will get it (`BroadcastKind` renders the same row)."""
    return message_reply(html, *(_button(answers) or ("", "")))


def when_text(context: BotContext, moment: datetime) -> str:
    return long_date_time(moment, context.settings.zone, context.strings.language)


def _shown_versions(context: BotContext, answers: dict[str, str]) -> list[Out]:
    """Each version as participants will see it, the other languages under a heading."""
    shown: list[Out] = [_as_sent(answers, answers.get("message", ""))]
    for code, html in _versions(context, answers).items():
        shown += [Reply(context.strings(f"broadcast.version_{code}")), _as_sent(answers, html)]
    return shown


async def start_broadcast(update: Update, context: BotContext) -> None:
    """Starts the composer (a finished one starts afresh)."""
    flow = context.content.flows[BROADCAST]
    state = await load_flow_state(context, flow)
    fresh = FlowState(flow.id) if state.phase is Phase.DONE or not state.started else None
    await run_flow(update, context, flow, Begin(), state=fresh)


async def preview(context: BotContext, before: FlowState, after: FlowState) -> list[Out]:
    """Shown before the review: each version exactly as participants will see it, the
    count and, for a scheduled one, the day and time it goes out."""
    if after.phase is not Phase.REVIEW or before.phase is Phase.REVIEW:
        return []
    answers = after.answers
    audience = answers.get("audience", "everyone")
    staff = staff_ids(context.settings)
    reflections = context.content.reflection_ids
    count = len(
        await audiences.recipients(context.store, audience, staff=staff, reflections=reflections)
    )
    shown = [Reply(context.strings("broadcast.count", count=count))]
    due = parse_when(answers.get("at", ""), context.clock.now(), context.settings)
    if answers.get("when") == "later" and due is not None:
        shown.append(Reply(context.strings("broadcast.goes_out", when=when_text(context, due))))
    return [*shown, Reply(context.strings("broadcast.preview")), *_shown_versions(context, answers)]


async def on_action(
    update: Update, context: BotContext, state: FlowState, action: str
) -> list[Out]:
    """Send to me first: the organiser gets each version as participants will, and a note
    that nobody else has; no broadcast or outbox row, so nothing can reach anyone else."""
    if action != TEST:
        return []
    return [*_shown_versions(context, state.answers), Reply(context.strings("broadcast.test_sent"))]


async def guard(update: Update, context: BotContext, press: Press) -> bool:
    """Only organisers compose; a scheduled time must be readable and ahead to confirm."""
    user = update.effective_user
    if user is None or not await has_role(context.bot_data, user.id, Role.ORGANISER):
        now = context.clock.now()
        actor = user.id if user else None
        await audit.record(context.store, actor_id=actor, action="refused:broadcast", now=now)
        await respond(update, context, [ClearButtons(stale=context.strings.plain("flow.stale"))])
        return False
    if press.action != "k":
        return True
    state = await load_flow_state(context, context.content.flows[BROADCAST])
    if state.answers.get("when") != "later":
        return True
    text = state.answers.get("at", "")
    if parse_when(text, context.clock.now(), context.settings) is None:
        await respond(update, context, [Reply(context.strings("broadcast.bad_time", text=text))])
        return False
    return True


async def on_confirm(update: Update, context: BotContext, after: FlowState) -> list[Out]:
    """On Confirm: queue it for everyone (the count and preview come before the review)."""
    user = update.effective_user
    assert user is not None
    now = context.clock.now()
    answers = after.answers
    due = now
    if answers.get("when") == "later":
        due = parse_when(answers.get("at", ""), now, context.settings) or now
    broadcasts = context.services.broadcasts
    broadcast = await broadcasts.create(
        created_by=user.id,
        audience=answers.get("audience", "everyone"),
        html=answers.get("message", ""),
        versions=_versions(context, answers),
        button=_button(answers),
        due_at=due,
    )
    if due > now:
        when = when_text(context, due)
        return [Reply(context.strings("broadcast.scheduled", when=when, count=broadcast.total))]
    # The progress message follows from the broadcasts' tick, which keeps it up to date.
    return []


def audience_label(context: BotContext, audience: str) -> str:
    """The audience's name; a session since removed from the settings shows its id."""
    labels = context.content.flows[BROADCAST].labels
    key = f"broadcast.options.{audience}"
    if audience in labels:
        return labels[audience]
    return context.strings.plain(key) if context.strings.has(key) else audience


async def _audience_keyboard(context: BotContext, reply: Reply, group: str) -> Reply:
    """The audience question with one group's buttons, each with its count right now."""
    code = context.content.flows[BROADCAST].code
    choices = [b for row in reply.buttons for b in row if _audience_of(code, b) is not None]
    if not choices:
        return reply
    rest = [row for row in reply.buttons if all(_audience_of(code, b) is None for b in row)]
    strings, staff = context.strings, staff_ids(context.settings)
    shown: list[Button] = []
    for choice in choices:
        audience = _audience_of(code, choice) or ""
        if audiences.group_of(audience) == group:
            count = len(
                await audiences.recipients(
                    context.store,
                    audience,
                    staff=staff,
                    reflections=context.content.reflection_ids,
                )
            )
            label = strings.plain("broadcast.counted").format(label=choice.label, count=count)
            shown.append(Button(label, choice.data))
    per_row = 2 if group == Group.BASIC else 1
    rows = [tuple(shown[i : i + per_row]) for i in range(0, len(shown), per_row)]
    if group == Group.BASIC:
        present = {audiences.group_of(_audience_of(code, b) or "") for b in choices}
        rows += [
            (Button(strings.plain(f"broadcast.group_{g}"), encode(AudienceGroup(g.value))),)
            for g in GROUPS[1:]
            if g in present
        ]
    else:
        back = encode(AudienceGroup(Group.BASIC.value))
        rows.append((Button(strings.plain("broadcast.group_back"), back),))
    return Reply(reply.html, (*rows, *rest), edit=reply.edit)


def _audience_of(code: str, button: Button) -> str | None:
    """The audience a choice of the composer's audience question picks; None for any
    other button."""
    pressed = decode(button.data)
    if not isinstance(pressed, FlowButton) or pressed.action is not FlowAction.CHOOSE:
        return None
    return pressed.value if (pressed.code, pressed.step) == (code, AUDIENCE) else None


def _skip_label(context: BotContext, reply: Reply) -> Reply:
    """Skip on another language's version says what skipping means."""
    code = context.content.flows[BROADCAST].code
    rows = []
    for row in reply.buttons:
        line = []
        for b in row:
            match decode(b.data):
                case FlowButton(pressed, FlowAction.SKIP, step) if pressed == code:
                    key = f"broadcast.skip_{step}"
                    if step.startswith("message_") and context.strings.has(key):
                        b = Button(context.strings.plain(key), b.data)
            line.append(b)
        rows.append(tuple(line))
    return Reply(reply.html, tuple(rows), edit=reply.edit)


async def _resolved_at(context: BotContext) -> tuple[str, str] | None:
    """The review's At line as the engine writes it (what was typed) and as organisers
    read it (the day and time it resolves to), for a scheduled broadcast."""
    state = await load_flow_state(context, context.content.flows[BROADCAST])
    typed = state.answers.get("at", "")
    due = parse_when(typed, context.clock.now(), context.settings)
    if state.answers.get("when") != "later" or due is None:
        return None  # unreadable or past: shown as typed, and Confirm says why not
    label = context.strings.plain("broadcast.at_label")
    line = partial(context.strings, "flow.review_line", label=label)
    return line(answer=typed), line(answer=when_text(context, due))


async def audience_view(context: BotContext, replies: Sequence[Out]) -> list[Out]:
    """The engine's replies as organisers see them: the audiences grouped, with counts,
    and the review's At line as the day and time it goes out, not "tomorrow 09:00"."""
    resolved = await _resolved_at(context)
    shown: list[Out] = []
    for reply in replies:
        if isinstance(reply, Reply) and reply.buttons:
            reply = _skip_label(context, await _audience_keyboard(context, reply, Group.BASIC))
        if isinstance(reply, Reply) and resolved and resolved[0] in reply.html:
            reply = replace(reply, html=reply.html.replace(*resolved))
        shown.append(reply)
    return shown


async def audience_group(update: Update, context: BotContext) -> None:
    """By session ▸, By progress ▸ and ◀ Back: the audience question with another group."""
    query = update.callback_query
    assert query is not None
    pressed = decode(query.data or "")
    group = pressed.group if isinstance(pressed, AudienceGroup) else ""
    flow = context.content.flows[BROADCAST]
    state = await load_flow_state(context, flow)
    at_audience = state.phase is Phase.ASKING and state.step == AUDIENCE and state.listening
    if group not in GROUPS or not at_audience:
        await respond(update, context, [ClearButtons(stale=context.strings.plain("flow.stale"))])
        return
    _, replies = advance(flow, state, Begin(), context.strings)
    prompt = next(r for r in replies if isinstance(r, Reply) and r.buttons)
    shown = await _audience_keyboard(context, prompt, group)
    await respond(update, context, [Reply(shown.html, shown.buttons, edit=True)])
