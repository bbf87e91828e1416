"""/broadcasts: the recent broadcasts with their figures, and pause, resume or cancel."""

from __future__ import annotations

from telegram import Update

from bot.services.broadcast import plain_preview
from bot.services.broadcast_progress import controls
from bot.shell.context import BotContext
from bot.shell.handlers.broadcast import audience_label, when_text
from bot.shell.handlers.common import respond
from flows.callback_data import decode
from flows.replies import Button, ClearButtons, Out, Reply
from flows.staff_data import BroadcastControl, ControlAction
from store import broadcasts as store
from store.broadcasts import BroadcastStatus

__all__ = ["control_button", "list_broadcasts"]


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
            when = when_text(context, broadcast.due_at)
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
    pressed = decode(query.data or "")
    if not isinstance(pressed, BroadcastControl):  # forged: no such button was ever sent
        await respond(update, context, [ClearButtons(stale=strings.plain("flow.stale"))])
        return
    action = pressed.action
    broadcast = await store.get(context.store, pressed.broadcast)
    finished = (BroadcastStatus.DONE, BroadcastStatus.CANCELLED)
    if broadcast is None or broadcast.status in finished:
        await respond(update, context, [ClearButtons(), Reply(strings("broadcast.unknown"))])
        return
    running = (BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING)
    later = broadcast.due_at > context.clock.now()
    resumed = BroadcastStatus.SCHEDULED if later else BroadcastStatus.SENDING
    target, key, fits = {
        ControlAction.PAUSE: (
            BroadcastStatus.PAUSED,
            "broadcast.paused",
            broadcast.status in running,
        ),
        ControlAction.RESUME: (
            resumed,
            "broadcast.resumed",
            broadcast.status is BroadcastStatus.PAUSED,
        ),
        ControlAction.CANCEL: (BroadcastStatus.CANCELLED, "broadcast.stopped", True),
    }[action]
    if not fits:
        await respond(update, context, [ClearButtons(stale=strings.plain("flow.stale"))])
        return
    await context.services.broadcasts.change(broadcast, target, user.id)
    message = query.message
    # The progress message keeps its place: the broadcasts' tick redraws its buttons.
    on_progress = message is not None and message.message_id == broadcast.progress_message
    cleared: list[Out] = [] if on_progress else [ClearButtons()]
    await respond(update, context, [*cleared, Reply(strings(key, id=broadcast.id))])
