"""What every Bot API method of the local Telegram shares: its context, its table, and
Telegram's checks of the chat and of the pace."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.sandbox.limits import RateGate
from bot.sandbox.params import ApiError, Params, bad_request
from bot.sandbox.records import GROUP_TYPES, SimChat, SimMessage
from bot.sandbox.world import World

__all__ = ["Context", "Method", "paced", "registrar", "sent", "target_chat", "too_many"]


@dataclass
class Context:
    world: World
    gate: RateGate


Method = Callable[[Context, Params], Awaitable[Any]]


def registrar(table: dict[str, Method]) -> Callable[[str], Callable[[Method], Method]]:
    """A decorator `@method("sendMessage")` that puts a method in `table` by its name."""

    def method(name: str) -> Callable[[Method], Method]:
        def register(func: Method) -> Method:
            table[name.lower()] = func
            return func

        return register

    return method


def target_chat(ctx: Context, params: Params) -> SimChat:
    chat_id = params.integer("chat_id", required=True)
    assert chat_id is not None
    chat = ctx.world.chats.get(chat_id)
    if chat is None:
        if chat_id in ctx.world.users:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        raise bad_request("chat not found")
    if chat.user is not None and chat.user.blocked_bot:
        raise ApiError(403, "Forbidden: bot was blocked by the user")
    return chat


def too_many(wait: int) -> None:
    if wait:
        raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)


def paced(ctx: Context, chat: SimChat) -> None:
    too_many(ctx.gate.check(chat.id, chat.type in GROUP_TYPES))


def sent(ctx: Context, message: SimMessage) -> dict[str, Any]:
    ctx.world.touch("new", message)
    return message.to_api()
