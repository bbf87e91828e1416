"""What a participant experiences: the welcome, the menu, help, status, stray input."""

from __future__ import annotations

from telegram import Update

from bot.services.drip import load_progress
from bot.shell.context import BotContext
from bot.shell.handlers.common import respond
from bot.shell.roles import role_help
from flows.callback_data import decode
from flows.menu import Status, help_reply, main_menu, status_reply, welcome
from flows.participant_data import MenuItem, MenuPress
from flows.replies import Reply
from flows.strings import Markup
from store import answers, logins, registrations
from store.registrations import RegistrationStatus

__all__ = [
    "menu_button",
    "not_text",
    "show_help",
    "show_menu",
    "show_status",
    "start",
    "stray_text",
]


async def start(update: Update, context: BotContext) -> None:
    """One message with the menu: a newcomer's greeting and what the bot does, or a welcome back."""
    participant = context.participant
    assert participant is not None
    returning = not context.participant_is_new
    greeting = welcome(context.strings, participant.first_name, returning=returning)
    # An organiser's alerts wait for them until they write (Telegram lets no bot write first).
    alerts = await context.desk.waiting_alerts(participant, context.clock.now())
    await respond(update, context, [greeting, *alerts])


async def show_menu(update: Update, context: BotContext) -> None:
    """Shows the main menu."""
    await respond(update, context, [main_menu(context.strings)])


async def show_help(update: Update, context: BotContext) -> None:
    """Lists the commands (a role holder's own ones too)."""
    reply = help_reply(context.strings)
    user = update.effective_user
    extra = await role_help(context.bot_data, user.id, context.strings) if user else ""
    await respond(update, context, [Reply(reply.html + extra, reply.buttons)])


async def show_status(update: Update, context: BotContext) -> None:
    """Tells the participant what they have: course, reflections, session, MOOC login."""
    participant = context.participant
    assert participant is not None
    strings = context.strings
    content = context.content
    progress = await load_progress(context.store, participant.telegram_id)
    sections = content.course(participant.language).sections
    live = await registrations.live(context.store, participant.telegram_id)
    flow = content.reflection_for(r.session_id for r in live)  # the questions of their session
    answered = await answers.questions_answered(context.store, participant.telegram_id, flow.id)
    registration = Markup(strings("status.not_registered"))
    desk = context.desk
    session = desk.session(live[0].session_id) if live else None
    if live and session is not None:
        if live[0].status is RegistrationStatus.WAITLISTED:
            registration = Markup(
                strings(
                    "status.waitlisted",
                    position=live[0].position or 0,
                    title=session.title_in(strings.language),
                )
            )
        else:
            when = Markup(desk.when(session, strings))
            title = session.title_in(strings.language)
            registration = Markup(strings("status.registered", title=title, when=when))
    code = await logins.code_for(context.store, participant.telegram_id)
    if code or not live or session is None:
        login = code or strings.plain("status.login_none")
    elif await logins.total(context.store):
        login = strings.plain("status.login_follows")
    else:
        login = session.mooc_url or strings.plain("status.login_none")
    status = Status(
        name=participant.first_name,
        language=participant.language,
        joined=participant.joined_at,
        zone=context.settings.zone,
        sections_read=len(progress.finished & {s.id for s in sections}),
        sections=len(sections),
        answered=len(answered),
        questions=len(flow.questions),
        registration=registration,
        login=login,
        registered=bool(live),
    )
    await respond(update, context, [status_reply(strings, status)])


async def menu_button(update: Update, context: BotContext) -> None:
    """Opens status or help from the main menu (course and reflection have their own)."""
    query = update.callback_query
    assert query is not None
    match decode(query.data or ""):
        case MenuPress(MenuItem.STATUS):
            await show_status(update, context)
        case MenuPress(MenuItem.HELP):
            await show_help(update, context)


async def stray_text(update: Update, context: BotContext) -> None:
    """Text outside any dialogue: a short helpful answer with the menu's buttons."""
    await _with_menu(update, context, "errors.stray_text")


async def not_text(update: Update, context: BotContext) -> None:
    """A sticker, photo or voice note where only text is understood."""
    await _with_menu(update, context, "errors.not_text")


async def _with_menu(update: Update, context: BotContext, key: str) -> None:
    """The string `key` with the menu's buttons; a newcomer gets the welcome instead."""
    if context.participant_is_new:
        await start(update, context)
        return
    menu = main_menu(context.strings)
    await respond(update, context, [Reply(context.strings(key), buttons=menu.buttons)])
