"""The one wiring point: `build_application` registers every handler and resource."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta

from telegram import BotCommand, BotCommandScopeDefault, Update
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.base.clock import Clock, SystemClock
from bot.base.settings import Settings
from bot.services.broadcast import BROADCAST, BroadcastKind, Broadcasts
from bot.services.digest import DIGEST, DigestKind, Digests
from bot.services.dispatcher import Dispatcher
from bot.services.drip import DRIP, Drips
from bot.services.followup import AFTER, FOLLOWUP, AfterKind, FollowupKind, FollowUps
from bot.services.privacy import purge
from bot.services.registration import (
    ALERT,
    LOGIN,
    PROMOTED,
    AlertKind,
    Desk,
    LoginKind,
    PromotedKind,
)
from bot.services.reminders import (
    MOVED,
    NUDGE,
    REMINDER,
    MovedKind,
    NudgeKind,
    ReminderKind,
    Reminders,
)
from bot.shell import roles
from bot.shell.commands import COMMANDS
from bot.shell.context import BotApp, BotContext, BotData
from bot.shell.handlers import (
    attendance,
    broadcast,
    common,
    course,
    facilitator,
    flows,
    organiser,
    participant,
    privacy,
    reflection,
    registration,
)
from bot.shell.http import AiohttpRequest
from bot.shell.inbox import Inbox, Poller
from flows.content import Content, load_content
from flows.engine import Step
from flows.menu import MenuAction
from store import registrations
from store.db import Store, StoreState
from store.roles import Role

__all__ = ["build_application", "on_start", "on_stop", "running", "stop_handling"]

RETENTION_EVERY = timedelta(days=1)
INBOX_PURGE_EVERY = timedelta(hours=6)
# Digests owed are re-queued this often (a facilitator granted from the command line).
DIGESTS_EVERY = timedelta(minutes=10)

log = logging.getLogger(__name__)


def progress_audiences(content: Content) -> dict[str, str]:
    """Audiences by progress, with their labels: registered but no reflection yet,
    registered with a question open, read a part of the course but not registered."""
    strings = content.strings(content.default_language)
    titles = content.question_titles(strings)
    sections = content.course(content.default_language).sections
    return {
        "not_started": strings.plain("broadcast.not_started"),
        **{
            f"missing_{q}": strings.plain("broadcast.missing").format(title=t)
            for q, t in titles.items()
        },
        **{
            f"read_{s.id}": strings.plain("broadcast.read_unregistered").format(title=s.title)
            for s in sections
        },
    }


def with_session_audiences(content: Content, settings: Settings) -> Content:
    """The broadcast composer offers one audience per configured session, and the
    audiences by progress; after the message, it asks for the message in each other
    language the bot speaks (`message_<code>`, skippable: they get the default one)."""
    flow = content.flows.get("broadcast")
    audience = flow.step("audience") if flow is not None else None
    if flow is None or audience is None:
        return content
    extra = {
        **{f"session_{s.id}": f"📅 {s.title}" for s in settings.sessions},
        **progress_audiences(content),
    }
    step = replace(audience, options=(*audience.options, *extra))
    strings = content.strings(content.default_language)
    steps: tuple[Step, ...] = ()
    for each in flow.steps:
        steps += (step,) if each.id == "audience" else (each,)
        if each.id != "message":
            continue
        for code in content.languages:
            key = f"broadcast.message_{code}"
            if code != content.default_language and strings.has(key):
                version = replace(each, id=f"message_{code}", prompt=key, label=f"{key}_label")
                steps += (replace(version, skippable=True),)
    richer = replace(flow, steps=steps, labels={**flow.labels, **extra})
    return replace(content, flows={**content.flows, "broadcast": richer})


def build_application(
    settings: Settings,
    store: Store,
    *,
    content: Content | None = None,
    clock: Clock | None = None,
    rate_limited: bool = True,
) -> BotApp:
    """Build the bot for Telegram, a self-hosted Bot API server or the sandbox alike.

    `rate_limited=False` drops the 30-messages-a-second safety net; only for
    benchmarks that measure the bot itself rather than Telegram's limit.
    """
    if settings.token is None:
        raise ValueError("build_application needs a token (MOOC_BOT_TOKEN)")
    api = settings.api_url.rstrip("/")
    context_types = ContextTypes(context=BotContext, bot_data=BotData)
    builder = (
        ApplicationBuilder()
        .token(settings.token.get_secret_value())
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .context_types(context_types)
        .post_init(on_start)
        .post_shutdown(on_stop)
        .request(AiohttpRequest(connections=64))
        .get_updates_request(AiohttpRequest(connections=1))
    )
    application: BotApp
    if rate_limited:
        # max_retries=0: the first 429 reaches us; the outbox dispatcher owns pacing.
        # With paid broadcasts the overall cap follows the paid rate; the Pacer paces the outbox.
        overall = max(30.0, settings.broadcast.rate)
        limiter = AIORateLimiter(overall_max_rate=overall, max_retries=0)
        application = builder.rate_limiter(limiter).build()
    else:
        application = builder.build()
    data = application.bot_data
    data.settings = settings
    data.store = store
    loaded = content or load_content(
        settings.course.languages, settings.course.default_language, root=settings.content_dir
    )
    data.content = with_session_audiences(loaded, settings)
    data.clock = clock or SystemClock()
    data.dispatcher = Dispatcher(application.bot, store, data.clock, settings.broadcast.rate)
    data.dispatcher.paid_kinds = {BROADCAST} if settings.broadcast.allow_paid_broadcast else set()
    data.drips = Drips(settings, store, data.content, data.dispatcher)
    data.dispatcher.kinds[DRIP] = data.drips
    data.desk = Desk(settings, store, data.content, data.dispatcher)
    data.dispatcher.kinds[PROMOTED] = PromotedKind(data.desk)
    data.dispatcher.kinds[LOGIN] = LoginKind(data.desk)
    data.dispatcher.kinds[ALERT] = AlertKind(data.desk)
    data.reminders = Reminders(data.desk)
    data.desk.on_seated.append(data.reminders.schedule)
    data.desk.on_unseated.append(data.reminders.cancel)
    data.dispatcher.kinds[REMINDER] = ReminderKind(data.reminders)
    data.dispatcher.kinds[NUDGE] = NudgeKind(data.reminders)
    data.dispatcher.kinds[MOVED] = MovedKind(data.reminders)
    data.followups = followups = FollowUps(data.desk)
    data.desk.on_seated.append(followups.schedule)
    data.desk.on_unseated.append(followups.cancel)
    data.dispatcher.kinds[FOLLOWUP] = FollowupKind(followups)
    data.dispatcher.kinds[AFTER] = AfterKind(followups)
    data.digests = Digests(data.desk)
    data.dispatcher.kinds[DIGEST] = DigestKind(data.desk)
    data.broadcasts = Broadcasts(settings, store, data.content, data.dispatcher, data.clock)
    data.dispatcher.kinds[BROADCAST] = BroadcastKind(data.broadcasts)
    data.inbox = Inbox(application)
    data.flow_hooks = {
        "reflection": reflection.on_step,
        "registration": registration.on_step,
        "broadcast": broadcast.on_step,
    }
    data.flow_guards = {
        "reflection": reflection.edit_guard,
        "registration": registration.guard,
        "broadcast": broadcast.guard,
        "after": reflection.after_guard,
    }
    data.flow_previews = {"broadcast": broadcast.preview}
    data.flow_actions = {"broadcast": broadcast.on_action}
    data.flow_views = {"broadcast": broadcast.audience_view}

    private = filters.ChatType.PRIVATE
    application.add_handler(MessageHandler(filters.ChatType.GROUPS, common.private_only), group=-2)
    application.add_handler(TypeHandler(Update, common.remember_participant), group=-1)
    invite_link = private & filters.Regex(r"^/start inv_[\w-]+$")
    application.add_handler(CommandHandler("start", organiser.redeem_invite, filters=invite_link))
    deep_link = private & filters.Regex(r"^/start register$")
    application.add_handler(CommandHandler("start", registration.deep_link, filters=deep_link))
    application.add_handler(CommandHandler("start", participant.start, filters=private))
    application.add_handler(CommandHandler("menu", participant.show_menu, filters=private))
    application.add_handler(CommandHandler("help", participant.show_help, filters=private))
    application.add_handler(CommandHandler("status", participant.show_status, filters=private))
    application.add_handler(CommandHandler("course", course.resume_course, filters=private))
    application.add_handler(CommandHandler("sections", course.show_sections, filters=private))
    application.add_handler(CommandHandler("language", course.choose_language, filters=private))
    application.add_handler(CommandHandler("pause", course.pause_drips, filters=private))
    application.add_handler(CommandHandler("reminders", course.reminders_setting, filters=private))
    for name, role, callback in (
        ("invite", Role.ORGANISER, organiser.invite),
        ("registrations", Role.ORGANISER, organiser.show_registrations),
        ("broadcast", Role.ORGANISER, broadcast.start_broadcast),
        ("broadcasts", Role.ORGANISER, broadcast.list_broadcasts),
        ("answers", roles.READERS, facilitator.answers),
        ("export", roles.READERS, facilitator.export),
        ("stats", roles.READERS, facilitator.stats),
        ("roster", roles.READERS, facilitator.roster),
        ("digest", roles.READERS, facilitator.digest),
        ("attendance", roles.READERS, attendance.attendance),
    ):
        guarded = roles.only(role, name, callback)
        application.add_handler(CommandHandler(name, guarded, filters=private))
    application.add_handler(CommandHandler("reflect", reflection.start_reflection, filters=private))
    application.add_handler(CommandHandler("myanswers", reflection.my_answers, filters=private))
    application.add_handler(
        CommandHandler("register", registration.start_registration, filters=private)
    )
    application.add_handler(
        CommandHandler("cancel_registration", registration.cancel_registration, filters=private)
    )
    application.add_handler(CommandHandler("resume", course.resume_drips, filters=private))
    application.add_handler(CommandHandler("mydata", privacy.my_data, filters=private))
    application.add_handler(CommandHandler("forget", privacy.forget, filters=private))
    for action, callback in (
        (MenuAction.COURSE, course.resume_course),
        (MenuAction.SECTIONS, course.show_sections),
        (MenuAction.REFLECT, reflection.start_reflection),
        (MenuAction.REGISTER, registration.start_registration),
        (MenuAction.CANCEL, registration.cancel_registration),
    ):
        application.add_handler(CallbackQueryHandler(callback, pattern=f"^{action.value}$"))
    menu_pattern = f"^({MenuAction.STATUS.value}|{MenuAction.HELP.value})$"
    application.add_handler(CallbackQueryHandler(participant.menu_button, pattern=menu_pattern))
    application.add_handler(CallbackQueryHandler(course.course_button, pattern=r"^c:"))
    application.add_handler(CallbackQueryHandler(course.language_button, pattern=r"^lang:"))
    control = roles.only(Role.ORGANISER, "broadcast.control", broadcast.control_button)
    application.add_handler(CallbackQueryHandler(control, pattern=r"^bcx:"))
    grouping = roles.only(Role.ORGANISER, "broadcast.audiences", broadcast.audience_group)
    application.add_handler(CallbackQueryHandler(grouping, pattern=r"^bca:"))
    listing = roles.only(Role.ORGANISER, "registrations.page", organiser.registrations_button)
    application.add_handler(CallbackQueryHandler(listing, pattern=r"^rgl:"))
    reading = roles.only(roles.READERS, "answers.page", facilitator.answers_button)
    application.add_handler(CallbackQueryHandler(reading, pattern=r"^ans:"))
    marking = roles.only(roles.READERS, "attendance.page", attendance.attendance_button)
    application.add_handler(CallbackQueryHandler(marking, pattern=r"^at:"))
    application.add_handler(CallbackQueryHandler(reflection.start_after, pattern=rf"^{AFTER}:"))
    application.add_handler(CallbackQueryHandler(privacy.forget_button, pattern=r"^fg:"))
    application.add_handler(CallbackQueryHandler(flows.flow_button, pattern=r"^f:"))
    application.add_handler(CallbackQueryHandler(reflection.reflect_now, pattern=r"^r:"))
    application.add_handler(CallbackQueryHandler(reflection.quote_button, pattern=r"^qc:"))
    application.add_handler(CallbackQueryHandler(registration.pick_session, pattern=r"^reg:[sw]:"))
    application.add_handler(CallbackQueryHandler(registration.cancel_button, pattern=r"^reg:[xkc]"))
    application.add_handler(CallbackQueryHandler(participant.stale_button))
    application.add_handler(MessageHandler(filters.COMMAND & private, participant.unknown_command))
    application.add_handler(
        MessageHandler(filters.TEXT & private & filters.UpdateType.MESSAGE, flows.text)
    )
    application.add_handler(
        MessageHandler(~filters.TEXT & private & filters.UpdateType.MESSAGE, flows.not_text)
    )
    application.add_handler(TypeHandler(Update, roles.menu_for_newcomer), group=1)
    for group in (-2, 0):  # the handlers that answer: one log line per update they take
        for handler in application.handlers[group]:
            handler.callback = common.logged(handler.callback)
    application.add_error_handler(common.on_error)
    return application


async def on_start(application: BotApp) -> None:
    """Opens the store and sets the command menu (a refusal is only a warning)."""
    if application.bot_data.store.state is StoreState.UNOPENED:
        await application.bot_data.store.open()
    await application.bot_data.dispatcher.start(application.job_queue)
    application.bot_data.broadcasts.start(application.bot, application.job_queue)
    data = application.bot_data
    if data.settings.privacy.delete_after_days is not None and application.job_queue:
        application.job_queue.run_repeating(
            _apply_retention, interval=RETENTION_EVERY, first=60, name="retention"
        )
    if application.job_queue:
        application.job_queue.run_repeating(
            _owe_digests, interval=DIGESTS_EVERY, first=DIGESTS_EVERY, name="digests"
        )
        application.job_queue.run_repeating(
            _purge_inbox, interval=INBOX_PURGE_EVERY, first=INBOX_PURGE_EVERY, name="inbox"
        )
    await data.digests.schedule(data.clock.now())
    await data.followups.owe_everyone(data.clock.now())
    for session in data.settings.sessions:
        # The capacity may have grown since the last start: move the waitlist up.
        now = data.clock.now()
        await data.reminders.retime(session, now)
        promoted = await registrations.fill_free_places(
            data.store, session.id, session.capacity, now
        )
        await data.desk.announce_promotions(promoted, now)
    content = application.bot_data.content
    for language in content.languages:
        strings = content.strings(language)
        commands = [BotCommand(name, strings.plain(f"commands.{name}")) for name in COMMANDS]
        code = None if language == content.default_language else language
        try:
            await application.bot.set_my_commands(
                commands, scope=BotCommandScopeDefault(), language_code=code
            )
        except TelegramError as exc:
            log.warning("the Bot API refused setMyCommands (%s): carrying on without a menu", exc)
    await roles.refresh_menus(application.bot, application.bot_data)
    # What was stored but not handled before a stop or a crash goes first.
    await data.inbox.purge()
    await data.inbox.resume()


async def _apply_retention(context: BotContext) -> None:
    data = context.bot_data
    deleted = await purge(data.desk, data.settings, data.clock.now())
    if deleted:
        log.info("retention: deleted %d participant(s) whose session ended long ago", deleted)


async def _purge_inbox(context: BotContext) -> None:
    await context.bot_data.inbox.purge()


async def _owe_digests(context: BotContext) -> None:
    await context.bot_data.digests.schedule(context.bot_data.clock.now())


async def on_stop(application: BotApp) -> None:
    """Closes the store."""
    await application.bot_data.store.close()


@asynccontextmanager
async def running(application: BotApp, *, poll_timeout: float = 10) -> AsyncIterator[BotApp]:
    """Run the bot with long polling inside an existing event loop (sandbox, tests)."""
    await application.initialize()
    try:
        await on_start(application)
        await application.start()
        # Not PTB's Updater: it confirms updates before they are handled (see bot/shell/inbox.py).
        await application.bot.delete_webhook()
        poller = Poller(application, application.bot_data.inbox, poll_timeout)
        poller.start()
        try:
            yield application
        finally:
            try:
                await poller.stop()
            finally:
                await stop_handling(application)
    finally:
        await application.shutdown()
        await on_stop(application)


async def stop_handling(application: BotApp) -> None:
    """No new update is started; those in hand finish and send their replies; the
    outbox finishes its batch in hand; then the job queue stops."""
    inbox = application.bot_data.inbox
    inbox.stop()
    await inbox.drain()
    application.bot_data.dispatcher.stop()
    if application.running:
        await application.stop()
