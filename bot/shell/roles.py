"""Who is an organiser or facilitator, and the command menus and help they get.

Roles come from settings.toml ([roles]), from `mooc-bot roles grant`, and from a
one-time invite link. Every privileged command passes `only`
(bot/shell/handlers/privileged.py): a person without the role gets exactly the
answer an unknown command gets. Role holders see their extra commands in
Telegram's command menu (a command scope per chat); nobody else does.
"""

from __future__ import annotations

import logging
from functools import partial

from telegram import Bot, BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError

from bot.shell.commands import COMMANDS
from bot.shell.context import BotContext, BotData
from bot.shell.turn import after_commit
from flows.strings import Strings
from store import participants
from store import roles as role_store
from store.roles import Role

__all__ = [
    "READERS",
    "ROLE_COMMANDS",
    "has_role",
    "menu_for_newcomer",
    "refresh_menus",
    "role_help",
    "role_holders",
]

log = logging.getLogger(__name__)

# Extra commands per role, in menu order; descriptions come from content/ ([commands]).
ROLE_COMMANDS: dict[Role, tuple[str, ...]] = {
    Role.ORGANISER: ("broadcast", "broadcasts", "registrations", "invite"),
    Role.FACILITATOR: ("answers", "export", "stats", "roster", "digest", "attendance"),
}
# Who may use what the facilitators have: organisers run the session, so they may too.
READERS = (Role.FACILITATOR, Role.ORGANISER)


async def has_role(data: BotData, telegram_id: int, role: Role) -> bool:
    configured = (
        data.settings.roles.organisers
        if role is Role.ORGANISER
        else data.settings.roles.facilitators
    )
    return telegram_id in configured or role in await role_store.roles_of(data.store, telegram_id)


async def role_holders(data: BotData) -> dict[int, set[Role]]:
    holders: dict[int, set[Role]] = {}
    for telegram_id in data.settings.roles.organisers:
        holders.setdefault(telegram_id, set()).add(Role.ORGANISER)
    for telegram_id in data.settings.roles.facilitators:
        holders.setdefault(telegram_id, set()).add(Role.FACILITATOR)
    for grant in await role_store.grants(data.store):
        holders.setdefault(grant.telegram_id, set()).add(grant.role)
    return holders


async def menu_for_newcomer(update: Update, context: BotContext) -> None:
    """A role holder's first message: from now on their menu shows their commands."""
    user = update.effective_user
    if not context.participant_is_new or user is None:
        return
    if user.id in await role_holders(context.bot_data):
        # After the commit: a Telegram call per role holder must not hold the write lock.
        await after_commit(partial(refresh_menus, context.bot, context.bot_data))
        await context.services.digests.schedule(context.clock.now())


def _extra_commands(held: set[Role]) -> list[str]:
    """A role holder's commands beyond everyone's, in menu order."""
    extra = [c for role in Role if role in held for c in ROLE_COMMANDS[role]]
    if Role.ORGANISER in held:
        extra += ROLE_COMMANDS[Role.FACILITATOR]  # organisers may read too (READERS)
    return [c for c in dict.fromkeys(extra) if c not in COMMANDS]


async def role_help(data: BotData, telegram_id: int, strings: Strings) -> str:
    """For /help: the commands a role holder has beyond everyone's ("" for others)."""
    held = (await role_holders(data)).get(telegram_id)
    if not held:
        return ""
    lines = [
        strings("help.role_line", command=name, description=strings.plain(f"commands.{name}"))
        for name in _extra_commands(held)
    ]
    return "\n\n" + strings("help.roles") + "\n" + "\n".join(lines)


async def refresh_menus(bot: Bot, data: BotData) -> None:
    """Give each role holder who has talked to the bot a menu with their extra commands."""
    for telegram_id, held in (await role_holders(data)).items():
        person = await participants.get(data.store, telegram_id)
        if person is None:
            continue  # no chat yet: the menu is set when they first write (see on_start)
        strings = data.content.strings(person.language)
        names = [*COMMANDS, *_extra_commands(held)]
        commands = [BotCommand(n, strings.plain(f"commands.{n}")) for n in names]
        try:
            await bot.set_my_commands(commands, scope=BotCommandScopeChat(person.chat_id))
        except TelegramError as exc:
            log.warning("could not set the command menu of %s: %s", telegram_id, exc)
