"""A participant's own data: /mydata sends all of it, /forget deletes all of it (after a yes)."""

from __future__ import annotations

from telegram import Update

from bot import privacy
from bot.context import BotContext
from bot.handlers.common import respond
from bot.handlers.participant import stale_button
from flows.replies import Button, ClearButtons, Document, Reply
from store import registrations
from store.privacy import erase

__all__ = ["forget", "forget_button", "my_data"]


async def my_data(update: Update, context: BotContext) -> None:
    """/mydata: everything held about the sender, as mydata.json."""
    participant = context.participant
    assert participant is not None
    data = await privacy.my_data(context.store, participant.telegram_id, context.clock.now())
    await respond(
        update, context, [Document("mydata.json", data, context.strings("privacy.mydata"))]
    )


async def forget(update: Update, context: BotContext) -> None:
    """/forget: asks first. The buttons carry when the person joined, so a "yes" from an
    old message cannot delete someone who came back afterwards."""
    participant = context.participant
    assert participant is not None
    strings = context.strings
    live = await registrations.live(context.store, participant.telegram_id)
    titles = {s.id: s.title for s in context.settings.sessions}
    seats = ", ".join(titles.get(r.session_id, r.session_id) for r in live)
    stamp = int(participant.joined_at.timestamp())
    buttons = (
        (Button(strings.plain("privacy.forget_yes"), f"fg:y:{stamp}"),),
        (Button(strings.plain("privacy.forget_no"), f"fg:n:{stamp}"),),
    )
    text = strings(
        "privacy.forget_confirm", registration=seats or strings.plain("privacy.no_registration")
    )
    await respond(update, context, [Reply(text, buttons)])


async def forget_button(update: Update, context: BotContext) -> None:
    """fg:y:<joined> deletes, fg:n:<joined> keeps; anything else is an old or forged button."""
    query = update.callback_query
    participant = context.participant
    assert query is not None
    assert participant is not None
    strings = context.strings
    if context.participant_is_new:
        # A second tap after the first one deleted them: writing the button's press down
        # made them new again, which is not what they asked for.
        await erase(context.store, participant.telegram_id, context.clock.now())
        gone = strings.plain("privacy.already_forgotten")
        await respond(update, context, [ClearButtons(stale=gone)])
        return
    parts = (query.data or "").split(":")
    current = str(int(participant.joined_at.timestamp()))
    if len(parts) != 3 or parts[2] != current:
        await stale_button(update, context)
        return
    if parts[1] != "y":
        await respond(update, context, [ClearButtons(), Reply(strings("privacy.kept"))])
        return
    await privacy.forget(
        context.bot_data.desk, participant.telegram_id, context.clock.now(), reason="asked"
    )
    await respond(update, context, [ClearButtons(), Reply(strings("privacy.forgotten"))])
