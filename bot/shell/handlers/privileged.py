"""The gate of every privileged command and button: role holders pass, everyone else is
answered as if the command did not exist (and the attempt is audit-logged)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update

from bot.shell.context import BotContext
from bot.shell.handlers.fallbacks import stale_button, unknown_command
from bot.shell.roles import has_role
from store import audit
from store.roles import Role

__all__ = ["Handler", "only"]

Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


def only(role: Role | tuple[Role, ...], name: str, handler: Handler) -> Handler:
    """`handler` for holders of `role` (or of any of several); everyone else is treated as
    typing an unknown command (or pressing a stale button). Every use is audit-logged."""
    wanted = role if isinstance(role, tuple) else (role,)

    @functools.wraps(handler)
    async def guarded(update: Update, context: BotContext) -> None:
        user = update.effective_user
        now = context.clock.now()
        allowed = user is not None and any(
            [await has_role(context.bot_data, user.id, r) for r in wanted]
        )
        if user is None or not allowed:
            actor = user.id if user else None
            await audit.record(context.store, actor_id=actor, action=f"refused:{name}", now=now)
            if update.callback_query is not None:
                await stale_button(update, context)
            else:
                await unknown_command(update, context)
            return
        await audit.record(context.store, actor_id=user.id, action=name, now=now)
        await handler(update, context)

    return guarded
