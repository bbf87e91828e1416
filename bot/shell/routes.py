"""Which handler takes which update: the flows' hooks by kind, then the commands, the
buttons and the messages, in the order PTB tries them."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.services.followup import AFTER
from bot.shell import roles
from bot.shell.context import BotApp
from bot.shell.handlers import (
    answers,
    attendance,
    broadcast,
    broadcasts,
    common,
    course,
    facilitator,
    fallbacks,
    flows,
    organiser,
    participant,
    privacy,
    privileged,
    reflection,
    registration,
)
from flows.callback_data import encode
from flows.model import FlowKind
from flows.participant_data import MenuItem, MenuPress
from store.roles import Role

__all__ = ["add_handlers"]


def add_handlers(application: BotApp) -> None:
    """Every handler, each answering one wrapped to log a line per update it takes."""
    data = application.bot_data
    # By kind: a second reflection flow (content/flows/*.toml) gets the same handlers.
    data.flow_hooks = {
        FlowKind.REFLECTION: reflection.on_confirm,
        FlowKind.REGISTRATION: registration.on_confirm,
        FlowKind.BROADCAST: broadcast.on_confirm,
    }
    data.flow_guards = {
        FlowKind.REFLECTION: reflection.edit_guard,
        FlowKind.REGISTRATION: registration.guard,
        FlowKind.BROADCAST: broadcast.guard,
        FlowKind.AFTER: reflection.after_guard,
    }
    data.flow_previews = {FlowKind.BROADCAST: broadcast.preview}
    data.flow_actions = {FlowKind.BROADCAST: broadcast.on_action}
    data.flow_views = {FlowKind.BROADCAST: broadcast.audience_view}

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
        ("broadcasts", Role.ORGANISER, broadcasts.list_broadcasts),
        ("answers", roles.READERS, answers.answers),
        ("export", roles.READERS, facilitator.export),
        ("stats", roles.READERS, facilitator.stats),
        ("roster", roles.READERS, facilitator.roster),
        ("digest", roles.READERS, facilitator.digest),
        ("attendance", roles.READERS, attendance.attendance),
    ):
        guarded = privileged.only(role, name, callback)
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
    for item, callback in (
        (MenuItem.COURSE, course.resume_course),
        (MenuItem.SECTIONS, course.show_sections),
        (MenuItem.REFLECT, reflection.start_reflection),
        (MenuItem.REGISTER, registration.start_registration),
        (MenuItem.CANCEL, registration.cancel_registration),
    ):
        pattern = f"^{encode(MenuPress(item))}$"
        application.add_handler(CallbackQueryHandler(callback, pattern=pattern))
    menu_pattern = f"^({encode(MenuPress(MenuItem.STATUS))}|{encode(MenuPress(MenuItem.HELP))})$"
    application.add_handler(CallbackQueryHandler(participant.menu_button, pattern=menu_pattern))
    application.add_handler(CallbackQueryHandler(course.course_button, pattern=r"^c:"))
    application.add_handler(CallbackQueryHandler(course.language_button, pattern=r"^lang:"))
    control = privileged.only(Role.ORGANISER, "broadcast.control", broadcasts.control_button)
    application.add_handler(CallbackQueryHandler(control, pattern=r"^bcx:"))
    grouping = privileged.only(Role.ORGANISER, "broadcast.audiences", broadcast.audience_group)
    application.add_handler(CallbackQueryHandler(grouping, pattern=r"^bca:"))
    listing = privileged.only(Role.ORGANISER, "registrations.page", organiser.registrations_button)
    application.add_handler(CallbackQueryHandler(listing, pattern=r"^rgl:"))
    reading = privileged.only(roles.READERS, "answers.page", answers.answers_button)
    application.add_handler(CallbackQueryHandler(reading, pattern=r"^ans:"))
    marking = privileged.only(roles.READERS, "attendance.page", attendance.attendance_button)
    application.add_handler(CallbackQueryHandler(marking, pattern=r"^at:"))
    application.add_handler(CallbackQueryHandler(reflection.start_after, pattern=rf"^{AFTER}:"))
    application.add_handler(CallbackQueryHandler(privacy.forget_button, pattern=r"^fg:"))
    application.add_handler(CallbackQueryHandler(flows.flow_button, pattern=r"^f:"))
    application.add_handler(CallbackQueryHandler(reflection.reflect_now, pattern=r"^r:"))
    application.add_handler(CallbackQueryHandler(reflection.quote_button, pattern=r"^qc:"))
    application.add_handler(CallbackQueryHandler(registration.pick_session, pattern=r"^reg:[sw]:"))
    application.add_handler(CallbackQueryHandler(registration.cancel_button, pattern=r"^reg:[xkc]"))
    application.add_handler(CallbackQueryHandler(fallbacks.stale_button))
    application.add_handler(MessageHandler(filters.COMMAND & private, fallbacks.unknown_command))
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
