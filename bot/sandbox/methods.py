"""The Bot API methods of the local Telegram, with Telegram's own checks and errors:
the bot's own setup here (getMe, updates, the webhook, commands), messaging in
bot/sandbox/messages.py."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bot.sandbox.calls import Context, Method, registrar
from bot.sandbox.messages import MESSAGING
from bot.sandbox.params import ApiError, Params, bad_request

__all__ = ["METHODS"]

SETUP: dict[str, Method] = {}
method = registrar(SETUP)


@method("getMe")
async def get_me(ctx: Context, params: Params) -> Any:
    return ctx.world.bot.to_api() | {
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@method("getUpdates")
async def get_updates(ctx: Context, params: Params) -> Any:
    if ctx.world.webhook.get("url"):
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    offset = params.integer("offset") or 0
    limit = min(max(params.integer("limit") or 100, 1), 100)
    timeout = max(params.integer("timeout") or 0, 0)
    allowed = params.json("allowed_updates")
    if allowed is not None:
        ctx.world.webhook["allowed_updates"] = allowed
    allowed = ctx.world.webhook.get("allowed_updates")
    # As Telegram: a second poller ends the first one's request with a conflict.
    world = ctx.world
    if world.poll_superseded is not None:
        world.poll_superseded.set()
    superseded = world.poll_superseded = asyncio.Event()
    waiting = asyncio.ensure_future(
        world.wait_for(lambda: world.take_updates(offset, limit, allowed), timeout)
    )
    ended = asyncio.ensure_future(superseded.wait())
    try:
        await asyncio.wait((waiting, ended), return_when=asyncio.FIRST_COMPLETED)
    finally:
        ended.cancel()
        if world.poll_superseded is superseded:
            world.poll_superseded = None
    if not waiting.done():
        waiting.cancel()
        world.poll_conflicts += 1
        raise ApiError(
            409,
            "Conflict: terminated by other getUpdates request; "
            "make sure that only one bot instance is running",
        )
    try:
        return waiting.result()
    except TimeoutError:
        return []


@method("setWebhook")
async def set_webhook(ctx: Context, params: Params) -> Any:
    url = params.text("url") or ""
    if url and not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    ctx.world.webhook = {
        "url": url,
        "secret_token": params.text("secret_token"),
        "allowed_updates": params.json("allowed_updates"),
        "max_connections": params.integer("max_connections"),  # None: Telegram's 40
    }
    if params.text("drop_pending_updates") in ("true", "True", "1"):
        ctx.world.updates.clear()
    ctx.world.touch()
    return True


@method("deleteWebhook")
async def delete_webhook(ctx: Context, params: Params) -> Any:
    ctx.world.webhook = {"allowed_updates": ctx.world.webhook.get("allowed_updates")}
    if params.text("drop_pending_updates") in ("true", "True", "1"):
        ctx.world.updates.clear()
    return True


@method("getWebhookInfo")
async def get_webhook_info(ctx: Context, params: Params) -> Any:
    return {
        "url": ctx.world.webhook.get("url") or "",
        "has_custom_certificate": False,
        "pending_update_count": len(ctx.world.updates),
    }


def _scope_key(params: Params) -> str:
    scope = params.json("scope") or {"type": "default"}
    return json.dumps([scope, params.text("language_code") or ""], sort_keys=True)


@method("setMyCommands")
async def set_my_commands(ctx: Context, params: Params) -> Any:
    commands = params.json("commands")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    for command in commands:
        name = str(command.get("command", ""))
        if not (1 <= len(name) <= 32 and name.replace("_", "").isalnum() and name.islower()):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    ctx.world.commands[_scope_key(params)] = commands
    return True


@method("getMyCommands")
async def get_my_commands(ctx: Context, params: Params) -> Any:
    return ctx.world.commands.get(_scope_key(params), [])


@method("deleteMyCommands")
async def delete_my_commands(ctx: Context, params: Params) -> Any:
    ctx.world.commands.pop(_scope_key(params), None)
    return True


async def _no_op(ctx: Context, params: Params) -> Any:
    return True


METHODS: dict[str, Method] = {**SETUP, **MESSAGING, "close": _no_op, "logout": _no_op}
