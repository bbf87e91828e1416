"""Reading the course: cards with Next, the list of sections, drips, language, pause."""

from __future__ import annotations

from telegram import Update

from bot.services.drip import load_progress
from bot.shell.context import BotContext
from bot.shell.handlers.common import respond
from flows.callback_data import decode, encode
from flows.course import CourseAction, Progress, navigate, sections_reply
from flows.menu import main_menu
from flows.participant_data import Language
from flows.replies import Button, ClearButtons, Reply
from store import course as course_store
from store import outbox, participants

__all__ = [
    "choose_language",
    "course_button",
    "language_button",
    "pause_drips",
    "reminders_setting",
    "resume_course",
    "resume_drips",
    "show_sections",
]


async def _move(update: Update, context: BotContext, action: CourseAction) -> None:
    participant = context.participant
    assert participant is not None
    before = await load_progress(context.store, participant.telegram_id)
    course = context.content.course(participant.language)
    after, replies = navigate(course, context.strings, before, action)
    now = context.clock.now()
    if after != before and after.section_id is not None:
        await course_store.save(
            context.store,
            participant.telegram_id,
            section_id=after.section_id,
            card=after.card,
            finished=after.finished,
            now=now,
        )
        await context.services.drips.schedule(participant, after, now)
    await respond(update, context, replies)


async def resume_course(update: Update, context: BotContext) -> None:
    """Shows the card where the participant left off (or the first one)."""
    await _move(update, context, CourseAction("resume"))


async def course_button(update: Update, context: BotContext) -> None:
    """Next, next section, jump or later — an outdated button changes nothing."""
    query = update.callback_query
    assert query is not None
    action = CourseAction.parse(query.data or "")
    if action is None:
        await respond(update, context, [ClearButtons(stale=context.strings.plain("course.stale"))])
        return
    await _move(update, context, action)


async def show_sections(update: Update, context: BotContext) -> None:
    """Lists the parts of the course with ✓ for those read; each is a button."""
    participant = context.participant
    assert participant is not None
    progress: Progress = await load_progress(context.store, participant.telegram_id)
    course = context.content.course(participant.language)
    await respond(update, context, [sections_reply(course, context.strings, progress)])


async def choose_language(update: Update, context: BotContext) -> None:
    """Offers the languages the course is available in."""
    content = context.content
    buttons = tuple(
        (Button(context.strings.plain(f"languages.{code}"), encode(Language(code))),)
        for code in content.languages
    )
    await respond(update, context, [Reply(context.strings("language.prompt"), buttons)])


async def language_button(update: Update, context: BotContext) -> None:
    """Stores the chosen language and answers in it from then on."""
    participant = context.participant
    query = update.callback_query
    assert participant is not None
    assert query is not None
    pressed = decode(query.data or "")
    code = pressed.code if isinstance(pressed, Language) else ""
    content = context.content
    if code not in content.languages:
        await respond(update, context, [ClearButtons(stale=context.strings.plain("course.stale"))])
        return
    await participants.set_language(context.store, participant.telegram_id, code)
    strings = content.strings(code)
    await respond(
        update, context, [ClearButtons(), Reply(strings("language.chosen")), main_menu(strings)]
    )


async def pause_drips(update: Update, context: BotContext, *, key: str = "course.paused") -> None:
    """Stops course reminders until /resume."""
    participant = context.participant
    assert participant is not None
    await participants.set_drips_paused(context.store, participant.telegram_id, True)
    await outbox.cancel_pending(context.store, participant.telegram_id, "drip")
    await respond(update, context, [Reply(context.strings(key))])


async def reminders_setting(update: Update, context: BotContext) -> None:
    """/reminders off|on: nudges and course drips (not the session's own reminders)."""
    argument = (context.args or [""])[0].lower()
    if argument == "off":
        await pause_drips(update, context, key="reminders.off")
    elif argument == "on":
        await resume_drips(update, context, key="reminders.on")
    else:
        await respond(update, context, [Reply(context.strings("reminders.usage"))])


async def resume_drips(update: Update, context: BotContext, *, key: str = "course.resumed") -> None:
    """Turns course reminders back on, counting from now."""
    participant = context.participant
    assert participant is not None
    await participants.set_drips_paused(context.store, participant.telegram_id, False)
    refreshed = await participants.get(context.store, participant.telegram_id)
    assert refreshed is not None
    progress = await load_progress(context.store, participant.telegram_id)
    await context.services.drips.schedule(refreshed, progress, context.clock.now())
    await respond(update, context, [Reply(context.strings(key))])
