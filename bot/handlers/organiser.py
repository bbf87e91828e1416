"""What organisers do in the chat: invite helpers, see who registered. (Roles: bot/roles.py.)"""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import partial

from telegram import Update

from bot.context import BotContext
from bot.handlers.common import respond
from bot.roles import refresh_menus
from bot.turn import after_commit
from flows.replies import Reply
from flows.strings import Markup
from store import audit, registrations
from store import roles as role_store
from store.registrations import RegistrationStatus
from store.roles import Refusal, Role

__all__ = ["INVITE_VALID", "invite", "redeem_invite", "show_registrations"]

INVITE_VALID = timedelta(hours=48)
LISTED = 50


async def invite(update: Update, context: BotContext) -> None:
    """Makes a one-time link (valid 48 hours) that gives its user a role."""
    user = update.effective_user
    assert user is not None
    wanted = (context.args or [""])[0].lower()
    if wanted not in {role.value for role in Role}:
        await respond(update, context, [Reply(context.strings("organiser.invite_usage"))])
        return
    now = context.clock.now()
    token = secrets.token_urlsafe(12)
    await role_store.create_invite(
        context.store, token, Role(wanted), user.id, now, now + INVITE_VALID
    )
    await audit.record(
        context.store, actor_id=user.id, action="invite.created", now=now, detail={"role": wanted}
    )
    link = f"https://t.me/{context.bot.username}?start=inv_{token}"
    role_name = context.strings.plain(f"organiser.role_{wanted}")
    await respond(
        update, context, [Reply(context.strings("organiser.invite", role=role_name, link=link))]
    )


async def redeem_invite(update: Update, context: BotContext) -> None:
    """t.me/<bot>?start=inv_<token>: grants the invite's role, once, within 48 hours, while
    whoever made it is still an organiser; a withdrawn invite says so."""
    user = update.effective_user
    message = update.effective_message
    assert user is not None
    assert message is not None
    token = (message.text or "").split(maxsplit=1)[-1].removeprefix("inv_")
    now = context.clock.now()
    makers = context.settings.roles.organisers
    outcome = await role_store.use_invite(context.store, token, user.id, now, makers=makers)
    if isinstance(outcome, Refusal):
        await audit.record(
            context.store,
            actor_id=user.id,
            action="refused:invite",
            now=now,
            detail={"reason": outcome.value},
        )
        key = "organiser.invite_void" if outcome is Refusal.VOID else "organiser.invite_invalid"
        await respond(update, context, [Reply(context.strings(key))])
        return
    await audit.record(
        context.store,
        actor_id=user.id,
        action="invite.used",
        now=now,
        detail={"role": outcome.value},
    )
    await after_commit(partial(refresh_menus, context.bot, context.bot_data))
    await context.bot_data.digests.schedule(now)
    role_name = context.strings.plain(f"organiser.role_{outcome.value}")
    await respond(
        update, context, [Reply(context.strings("organiser.invite_used", role=role_name))]
    )


async def show_registrations(update: Update, context: BotContext) -> None:
    """Per session: how many registered and waitlisted, and who (the first fifty)."""
    strings = context.strings
    desk = context.bot_data.desk
    replies: list[Reply] = []
    for session in context.settings.sessions:
        everyone = await registrations.for_session(context.store, session.id)
        seated = [r for r in everyone if r.status is not RegistrationStatus.WAITLISTED]
        waiting = [r for r in everyone if r.status is RegistrationStatus.WAITLISTED]
        lines = [
            strings(
                "organiser.person",
                position=r.position or "",
                name=r.details.name,
                email=r.details.email,
            )
            for r in everyone[:LISTED]
        ]
        replies.append(
            Reply(
                strings(
                    "organiser.registrations",
                    title=session.title,
                    when=Markup(desk.when(session, strings)),
                    registered=len(seated),
                    capacity=session.capacity or "∞",
                    waitlisted=len(waiting),
                    people=Markup("\n".join(lines) or strings("organiser.nobody")),
                )
            )
        )
    await respond(update, context, replies or [Reply(strings("registration.none_open"))])
