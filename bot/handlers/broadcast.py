"""The organisers' broadcast composer and /broadcasts (pause, resume, cancel)."""

from __future__ import annotations

from telegram import Update

from bot.broadcast import message_reply, parse_when
from bot.context import BotContext
from bot.handlers.common import respond
from bot.handlers.flows import load_flow_state, run_flow
from bot.roles import has_role
from flows.engine import Begin, FlowState, Phase, Press
from flows.replies import Button, ClearButtons, Out, Reply
from store import audit
from store import broadcasts as store
from store.broadcasts import BroadcastStatus
from store.roles import Role

__all__ = [
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


def _button(answers: dict[str, str]) -> tuple[str, str] | None:
    raw = answers.get("button", "")
    if "|" not in raw:
        return None
    label, url = (part.strip() for part in raw.split("|", 1))
    return label, url


def _as_sent(answers: dict[str, str]) -> Reply:
    """The message as participants will get it (`BroadcastKind` renders the same row)."""
    return message_reply(answers.get("message", ""), *(_button(answers) or ("", "")))


async def start_broadcast(update: Update, context: BotContext) -> None:
    """Starts the composer (a finished one starts afresh)."""
    flow = context.bot_data.content.flows[BROADCAST]
    state = await load_flow_state(context, flow)
    fresh = FlowState(flow.id) if state.phase is Phase.DONE or not state.started else None
    await run_flow(update, context, flow, Begin(), state=fresh)


async def preview(context: BotContext, before: FlowState, after: FlowState) -> list[Out]:
    """Shown before the review: the message exactly as participants will see it."""
    if after.phase is not Phase.REVIEW or before.phase is Phase.REVIEW:
        return []
    answers = after.answers
    count = len(await store.audience_ids(context.store, answers.get("audience", "everyone")))
    return [
        Reply(context.strings("broadcast.count", count=count)),
        Reply(context.strings("broadcast.preview")),
        _as_sent(answers),
    ]


async def on_action(
    update: Update, context: BotContext, state: FlowState, action: str
) -> list[Out]:
    """Send to me first: the organiser gets the message as participants will, and a note
    that nobody else has; no broadcast or outbox row, so nothing can reach anyone else."""
    if action != TEST:
        return []
    return [_as_sent(state.answers), Reply(context.strings("broadcast.test_sent"))]


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
        button=_button(answers),
        due_at=due,
    )
    if due > now:
        when = due.astimezone(context.settings.zone).strftime("%d-%m-%Y %H:%M")
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
        snippet = broadcast.html if len(broadcast.html) < 40 else broadcast.html[:39] + "…"
        lines.append(
            strings(
                "broadcast.line",
                id=broadcast.id,
                status=strings.plain(f"broadcast.status_{broadcast.status.value}"),
                audience=audience_label(context, broadcast.audience),
                sent=figures.sent,
                total=broadcast.total,
                snippet=snippet,
            )
        )
        controls: list[Button] = []
        if broadcast.status in (BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING):
            controls.append(
                Button(
                    strings.plain("broadcast.pause").format(id=broadcast.id),
                    f"bcx:p:{broadcast.id}",
                )
            )
        if broadcast.status is BroadcastStatus.PAUSED:
            controls.append(
                Button(
                    strings.plain("broadcast.resume").format(id=broadcast.id),
                    f"bcx:r:{broadcast.id}",
                )
            )
        if broadcast.status not in (BroadcastStatus.DONE, BroadcastStatus.CANCELLED):
            controls.append(
                Button(
                    strings.plain("broadcast.cancel").format(id=broadcast.id),
                    f"bcx:x:{broadcast.id}",
                )
            )
        if controls:
            rows.append(tuple(controls))
    await respond(update, context, [Reply("\n\n".join(lines), tuple(rows))])


async def control_button(update: Update, context: BotContext) -> None:
    """Pause, resume or cancel a broadcast."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None
    assert user is not None
    _, action, number = (query.data or "bcx:?:0").split(":", 2)
    broadcast = await store.get(context.store, int(number)) if number.isdigit() else None
    strings = context.strings
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
    await respond(update, context, [ClearButtons(), Reply(strings(key, id=broadcast.id))])
