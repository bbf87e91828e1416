"""The organisers' broadcast composer and /broadcasts (pause, resume, cancel)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial

from telegram import Update

from bot.services.broadcast import controls, message_reply, parse_when, plain_preview, staff_ids
from bot.shell.context import BotContext
from bot.shell.handlers.common import respond
from bot.shell.handlers.flows import load_flow_state, run_flow
from bot.shell.roles import has_role
from flows.callbacks import number, parts
from flows.engine import Begin, FlowState, Phase, Press, advance
from flows.replies import Button, ClearButtons, Out, Reply
from flows.when import long_date_time
from store import audit
from store import broadcasts as store
from store.broadcasts import BroadcastStatus
from store.roles import Role

__all__ = [
    "audience_group",
    "audience_view",
    "control_button",
    "guard",
    "list_broadcasts",
    "on_action",
    "on_step",
    "preview",
    "start_broadcast",
]

BROADCAST = "broadcast"
TEST = "test"  # the review action "Send to me first" (content/flows/broadcast.toml)
AUDIENCE = "audience"
GROUPS = ("basic", "session", "progress")  # the audience keyboards, `bca:<group>`


def _button(answers: dict[str, str]) -> tuple[str, str] | None:
    raw = answers.get("button", "")
    if "|" not in raw:
        return None
    label, url = (part.strip() for part in raw.split("|", 1))
    return label, url


def _versions(context: BotContext, answers: dict[str, str]) -> dict[str, str]:
    """The message in each other language the bot speaks, where the organiser gave one."""
    content = context.bot_data.content
    others = [code for code in content.languages if code != content.default_language]
    return {code: answers[f"message_{code}"] for code in others if answers.get(f"message_{code}")}


def _as_sent(answers: dict[str, str], html: str) -> Reply:
    """The message as participants will get it (`BroadcastKind` renders the same row)."""
    return message_reply(html, *(_button(answers) or ("", "")))


def _when(context: BotContext, moment: datetime) -> str:
    return long_date_time(moment, context.settings.zone, context.strings.language)


def _shown_versions(context: BotContext, answers: dict[str, str]) -> list[Out]:
    """Each version as participants will see it, the other languages under a heading."""
    shown: list[Out] = [_as_sent(answers, answers.get("message", ""))]
    for code, html in _versions(context, answers).items():
        shown += [Reply(context.strings(f"broadcast.version_{code}")), _as_sent(answers, html)]
    return shown


async def start_broadcast(update: Update, context: BotContext) -> None:
    """Starts the composer (a finished one starts afresh)."""
    flow = context.bot_data.content.flows[BROADCAST]
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
    count = len(await store.audience_ids(context.store, audience, staff=staff))
    shown = [Reply(context.strings("broadcast.count", count=count))]
    due = parse_when(answers.get("at", ""), context.clock.now(), context.settings)
    if answers.get("when") == "later" and due is not None:
        shown.append(Reply(context.strings("broadcast.goes_out", when=_when(context, due))))
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
    state = await load_flow_state(context, context.bot_data.content.flows[BROADCAST])
    if state.answers.get("when") != "later":
        return True
    text = state.answers.get("at", "")
    if parse_when(text, context.clock.now(), context.settings) is None:
        await respond(update, context, [Reply(context.strings("broadcast.bad_time", text=text))])
        return False
    return True


async def on_step(
    update: Update, context: BotContext, before: FlowState, after: FlowState
) -> list[Out]:
    """On Confirm: queue it for everyone (the count and preview come before the review)."""
    if after.phase is not Phase.DONE or before.phase is Phase.DONE:
        return []
    user = update.effective_user
    assert user is not None
    now = context.clock.now()
    answers = after.answers
    due = now
    if answers.get("when") == "later":
        due = parse_when(answers.get("at", ""), now, context.settings) or now
    broadcasts = context.bot_data.broadcasts
    broadcast = await broadcasts.create(
        created_by=user.id,
        audience=answers.get("audience", "everyone"),
        html=answers.get("message", ""),
        versions=_versions(context, answers),
        button=_button(answers),
        due_at=due,
    )
    if due > now:
        when = _when(context, due)
        return [Reply(context.strings("broadcast.scheduled", when=when, count=broadcast.total))]
    # The progress message follows from the broadcasts' tick, which keeps it up to date.
    return []


def audience_label(context: BotContext, audience: str) -> str:
    """The audience's name; a session since removed from the settings shows its id."""
    labels = context.bot_data.content.flows[BROADCAST].labels
    key = f"broadcast.options.{audience}"
    if audience in labels:
        return labels[audience]
    return context.strings.plain(key) if context.strings.has(key) else audience


def _group_of(audience: str) -> str:
    if audience.startswith("session_"):
        return "session"
    if audience == "not_started" or audience.startswith(("missing_", "read_")):
        return "progress"
    return "basic"


async def _audience_keyboard(context: BotContext, reply: Reply, group: str) -> Reply:
    """The audience question with one group's buttons, each with its count right now."""
    prefix = f"f:{context.bot_data.content.flows[BROADCAST].code}:c:{AUDIENCE}:"
    choices = [b for row in reply.buttons for b in row if b.data.startswith(prefix)]
    if not choices:
        return reply
    rest = [row for row in reply.buttons if not any(b.data.startswith(prefix) for b in row)]
    strings, staff = context.strings, staff_ids(context.settings)
    shown: list[Button] = []
    for choice in choices:
        audience = choice.data.removeprefix(prefix)
        if _group_of(audience) == group:
            count = len(await store.audience_ids(context.store, audience, staff=staff))
            label = strings.plain("broadcast.counted").format(label=choice.label, count=count)
            shown.append(Button(label, choice.data))
    per_row = 2 if group == "basic" else 1
    rows = [tuple(shown[i : i + per_row]) for i in range(0, len(shown), per_row)]
    if group == "basic":
        present = {_group_of(b.data.removeprefix(prefix)) for b in choices}
        rows += [
            (Button(strings.plain(f"broadcast.group_{g}"), f"bca:{g}"),)
            for g in GROUPS[1:]
            if g in present
        ]
    else:
        rows.append((Button(strings.plain("broadcast.group_back"), "bca:basic"),))
    return Reply(reply.html, (*rows, *rest), edit=reply.edit)


def _skip_label(context: BotContext, reply: Reply) -> Reply:
    """Skip on another language's version says what skipping means."""
    code = context.bot_data.content.flows[BROADCAST].code
    rows = []
    for row in reply.buttons:
        line = []
        for b in row:
            step = b.data.removeprefix(f"f:{code}:s:").removesuffix(":")
            key = f"broadcast.skip_{step}"
            if b.data.startswith(f"f:{code}:s:message_") and context.strings.has(key):
                b = Button(context.strings.plain(key), b.data)
            line.append(b)
        rows.append(tuple(line))
    return Reply(reply.html, tuple(rows), edit=reply.edit)


async def _resolved_at(context: BotContext) -> tuple[str, str] | None:
    """The review's At line as the engine writes it (what was typed) and as organisers
    read it (the day and time it resolves to), for a scheduled broadcast."""
    state = await load_flow_state(context, context.bot_data.content.flows[BROADCAST])
    typed = state.answers.get("at", "")
    due = parse_when(typed, context.clock.now(), context.settings)
    if state.answers.get("when") != "later" or due is None:
        return None  # unreadable or past: shown as typed, and Confirm says why not
    label = context.strings.plain("broadcast.at_label")
    line = partial(context.strings, "flow.review_line", label=label)
    return line(answer=typed), line(answer=_when(context, due))


async def audience_view(context: BotContext, replies: Sequence[Out]) -> list[Out]:
    """The engine's replies as organisers see them: the audiences grouped, with counts,
    and the review's At line as the day and time it goes out, not "tomorrow 09:00"."""
    resolved = await _resolved_at(context)
    shown: list[Out] = []
    for reply in replies:
        if isinstance(reply, Reply) and reply.buttons:
            reply = _skip_label(context, await _audience_keyboard(context, reply, "basic"))
        if isinstance(reply, Reply) and resolved and resolved[0] in reply.html:
            reply = replace(reply, html=reply.html.replace(*resolved))
        shown.append(reply)
    return shown


async def audience_group(update: Update, context: BotContext) -> None:
    """By session ▸, By progress ▸ and ◀ Back: the audience question with another group."""
    query = update.callback_query
    assert query is not None
    group = (query.data or "").removeprefix("bca:")
    flow = context.bot_data.content.flows[BROADCAST]
    state = await load_flow_state(context, flow)
    at_audience = state.phase is Phase.ASKING and state.step == AUDIENCE and state.listening
    if group not in GROUPS or not at_audience:
        await respond(update, context, [ClearButtons(stale=context.strings.plain("flow.stale"))])
        return
    _, replies = advance(flow, state, Begin(), context.strings)
    prompt = next(r for r in replies if isinstance(r, Reply) and r.buttons)
    shown = await _audience_keyboard(context, prompt, group)
    await respond(update, context, [Reply(shown.html, shown.buttons, edit=True)])


async def list_broadcasts(update: Update, context: BotContext) -> None:
    """Recent broadcasts with their figures, and buttons to pause, resume or cancel."""
    strings = context.strings
    recent = await store.recent(context.store)
    if not recent:
        await respond(update, context, [Reply(strings("broadcast.list_empty"))])
        return
    lines: list[str] = []
    rows: list[tuple[Button, ...]] = []
    for broadcast in recent:
        figures = await store.figures(context.store, broadcast)
        line = strings(
            "broadcast.line",
            id=broadcast.id,
            status=strings.plain(f"broadcast.status_{broadcast.status.value}"),
            audience=audience_label(context, broadcast.audience),
            sent=figures.sent,
            total=broadcast.total,
            snippet=plain_preview(broadcast.html),
        )
        if broadcast.status in (BroadcastStatus.SCHEDULED, BroadcastStatus.PAUSED):
            when = _when(context, broadcast.due_at)
            line += "\n" + strings("broadcast.line_due", when=when)
        lines.append(line)
        rows += controls(broadcast, strings)
    await respond(update, context, [Reply("\n\n".join(lines), tuple(rows))])


async def control_button(update: Update, context: BotContext) -> None:
    """Pause, resume or cancel a broadcast (from /broadcasts or its progress message)."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None
    assert user is not None
    strings = context.strings
    fields = parts(query.data or "", 3)  # bcx:<action>:<broadcast id>
    broadcast_id = number(fields[2]) if fields is not None else None
    if fields is None or broadcast_id is None:  # forged: no such button was ever sent
        await respond(update, context, [ClearButtons(stale=strings.plain("flow.stale"))])
        return
    action = fields[1]
    broadcast = await store.get(context.store, broadcast_id)
    finished = (BroadcastStatus.DONE, BroadcastStatus.CANCELLED)
    if broadcast is None or broadcast.status in finished:
        await respond(update, context, [ClearButtons(), Reply(strings("broadcast.unknown"))])
        return
    running = (BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING)
    later = broadcast.due_at > context.clock.now()
    target, key = {
        "p": (BroadcastStatus.PAUSED, "broadcast.paused"),
        "r": (BroadcastStatus.SCHEDULED if later else BroadcastStatus.SENDING, "broadcast.resumed"),
        "x": (BroadcastStatus.CANCELLED, "broadcast.stopped"),
    }.get(action, (None, ""))
    fits = {
        "p": broadcast.status in running,
        "r": broadcast.status is BroadcastStatus.PAUSED,
        "x": True,
    }.get(action, False)
    if target is None or not fits:
        await respond(update, context, [ClearButtons(stale=strings.plain("flow.stale"))])
        return
    await context.bot_data.broadcasts.change(broadcast, target, user.id)
    message = query.message
    # The progress message keeps its place: the broadcasts' tick redraws its buttons.
    on_progress = message is not None and message.message_id == broadcast.progress_message
    cleared: list[Out] = [] if on_progress else [ClearButtons()]
    await respond(update, context, [*cleared, Reply(strings(key, id=broadcast.id))])
