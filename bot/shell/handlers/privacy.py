"""A participant's own data: /mydata sends all of it, /forget deletes all of it (after a yes)."""

from __future__ import annotations

from telegram import Update

from bot.services import privacy
from bot.services.drip import load_progress
from bot.shell.context import BotContext
from bot.shell.handlers.common import respond
from bot.shell.handlers.fallbacks import stale_button
from flows.callback_data import decode, encode
from flows.participant_data import Forget
from flows.replies import Button, ClearButtons, Document, Reply
from store import answers, logins, registrations
from store.privacy import erase

__all__ = ["forget", "forget_button", "my_data"]


async def my_data(update: Update, context: BotContext) -> None:
    """/mydata: what is held about the sender, readable in the chat, and all of it as
    mydata.json."""
    participant = context.participant
    assert participant is not None
    data = await privacy.my_data(context.store, participant.telegram_id, context.clock.now())
    summary = await _summary(context)
    await respond(
        update,
        context,
        [Reply(summary), Document("mydata.json", data, context.strings("privacy.mydata"))],
    )


async def _summary(context: BotContext) -> str:
    """The kinds of data held about the participant, one line each."""
    participant = context.participant
    assert participant is not None
    strings, store, who = context.strings, context.store, participant.telegram_id
    content = context.content
    sections = {s.id for s in content.course(participant.language).sections}
    progress = await load_progress(store, who)
    answered = {
        a.question
        for flow in content.reflections  # every reflection flow: what is held, wherever
        for a in (await answers.latest(store, who, flow.id)).values()
        if a.value
    }
    titles = {s.id: s.title_in(strings.language) for s in context.settings.sessions}
    seats = [
        strings.plain("privacy.seat").format(
            title=titles.get(r.session_id, r.session_id),
            status=strings.plain(f"privacy.status_{r.status.value}"),
        )
        for r in await registrations.live(store, who)
    ]
    code = await logins.code_for(store, who)
    name = " ".join(n for n in (participant.first_name, participant.last_name) if n)
    return strings(
        "privacy.summary",
        name=name,
        username=f"@{participant.username}" if participant.username else "—",
        language=strings.plain(f"languages.{participant.language}"),
        read=len(progress.finished & sections),
        sections=len(sections),
        answered=len(answered),
        questions=len(content.question_ids),
        registration="; ".join(seats) or strings.plain("privacy.no_registration"),
        login=strings.plain("privacy.yes" if code else "privacy.no"),
        reminders=strings.plain("privacy.no" if participant.drips_paused else "privacy.yes"),
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
        (Button(strings.plain("privacy.forget_yes"), encode(Forget(True, stamp))),),
        (Button(strings.plain("privacy.forget_no"), encode(Forget(False, stamp))),),
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
    pressed = decode(query.data or "")
    current = int(participant.joined_at.timestamp())
    if not isinstance(pressed, Forget) or pressed.joined != current:
        await stale_button(update, context)
        return
    if not pressed.erase:
        await respond(update, context, [ClearButtons(), Reply(strings("privacy.kept"))])
        return
    await privacy.forget(context.desk, participant.telegram_id, context.clock.now(), reason="asked")
    await respond(update, context, [ClearButtons(), Reply(strings("privacy.forgotten"))])
