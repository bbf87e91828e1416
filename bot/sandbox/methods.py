"""The Bot API methods of the local Telegram, with Telegram's own checks and errors."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp.web_request import FileField

from bot.base.telegram_html import utf16_len
from bot.sandbox.limits import RateGate
from bot.sandbox.params import ApiError, Params, bad_request, formatted, keyboard
from bot.sandbox.world import GROUP_TYPES, QUERY_TIMEOUT, SimChat, SimMessage, World

__all__ = ["METHODS", "Context"]

MAX_TEXT = 4096
MAX_CAPTION = 1024
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
MAX_TOAST = 200


@dataclass
class Context:
    world: World
    gate: RateGate


Method = Callable[[Context, Params], Awaitable[Any]]
METHODS: dict[str, Method] = {}


def method(name: str) -> Callable[[Method], Method]:
    def register(func: Method) -> Method:
        METHODS[name.lower()] = func
        return func

    return register


# --- helpers -------------------------------------------------------------------


def _target_chat(ctx: Context, params: Params) -> SimChat:
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


def _too_many(wait: int) -> None:
    if wait:
        raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)


def _paced(ctx: Context, chat: SimChat) -> None:
    _too_many(ctx.gate.check(chat.id, chat.type in GROUP_TYPES))


def _sent(ctx: Context, message: SimMessage) -> dict[str, Any]:
    ctx.world.touch("new", message)
    return message.to_api()


async def _upload(ctx: Context, params: Params, field: str, mime: str) -> Any:
    value = params.file(field)
    if isinstance(value, FileField):
        data = value.file.read()
        return ctx.world.store_file(value.filename or field, value.content_type or mime, data)
    if isinstance(value, str) and value in ctx.world.files:
        return ctx.world.files[value]
    if value:
        raise bad_request("wrong file identifier/HTTP URL specified")
    raise bad_request(f"there is no {field} in the request")


# --- methods -------------------------------------------------------------------


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
    try:
        return await ctx.world.wait_for(
            lambda: ctx.world.take_updates(offset, limit, allowed), timeout
        )
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


@method("sendMessage")
async def send_message(ctx: Context, params: Params) -> Any:
    chat = _target_chat(ctx, params)
    text, entities = formatted(params, "text", MAX_TEXT, "message text is empty")
    markup = keyboard(params)
    _paced(ctx, chat)
    message = ctx.world.new_message(
        chat, ctx.world.bot, text=text, entities=entities, reply_markup=markup
    )
    return _sent(ctx, message)


async def _send_file(ctx: Context, params: Params, field: str, mime: str) -> Any:
    chat = _target_chat(ctx, params)
    caption, entities = formatted(params, "caption", MAX_CAPTION, "")
    markup = keyboard(params)
    file = await _upload(ctx, params, field, mime)
    _paced(ctx, chat)
    message = ctx.world.new_message(
        chat,
        ctx.world.bot,
        caption=caption or None,
        entities=entities,
        reply_markup=markup,
        **{field: file},
    )
    return _sent(ctx, message)


@method("sendDocument")
async def send_document(ctx: Context, params: Params) -> Any:
    return await _send_file(ctx, params, "document", "application/octet-stream")


@method("sendPhoto")
async def send_photo(ctx: Context, params: Params) -> Any:
    return await _send_file(ctx, params, "photo", "image/png")


@method("sendChatAction")
async def send_chat_action(ctx: Context, params: Params) -> Any:
    _target_chat(ctx, params)
    if not params.text("action"):
        raise bad_request("wrong parameter action in request")
    return True


def _own_message(ctx: Context, params: Params, missing: str) -> SimMessage:
    if params.has("inline_message_id"):
        raise bad_request("inline messages are not supported in the sandbox")
    chat = _target_chat(ctx, params)
    message_id = params.integer("message_id", required=True)
    assert message_id is not None
    message = ctx.world.find_message(chat.id, message_id)
    if message is None:
        raise bad_request(missing)
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return message


def _edited(ctx: Context, message: SimMessage, **changes: Any) -> dict[str, Any]:
    if all(getattr(message, key) == value for key, value in changes.items()):
        raise bad_request(NOT_MODIFIED)
    _too_many(ctx.gate.check_edit(message.chat.id))  # edits do not count as sent messages
    for key, value in changes.items():
        setattr(message, key, value)
    message.edit_date = int(ctx.world.clock())
    if "text" in changes:
        message.text_edits += 1
    # Listeners hear "buttons" when only the keyboard changed, so they need not reprint.
    ctx.world.touch("buttons" if set(changes) == {"reply_markup"} else "edit", message)
    return message.to_api()


@method("editMessageText")
async def edit_message_text(ctx: Context, params: Params) -> Any:
    message = _own_message(ctx, params, "message to edit not found")
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    text, entities = formatted(params, "text", MAX_TEXT, "message text is empty")
    return _edited(ctx, message, text=text, entities=entities, reply_markup=keyboard(params))


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(ctx: Context, params: Params) -> Any:
    message = _own_message(ctx, params, "message to edit not found")
    return _edited(ctx, message, reply_markup=keyboard(params) or None)


@method("deleteMessage")
async def delete_message(ctx: Context, params: Params) -> Any:
    chat = _target_chat(ctx, params)
    message_id = params.integer("message_id", required=True)
    assert message_id is not None
    message = ctx.world.find_message(chat.id, message_id)
    if message is None:
        raise bad_request("message to delete not found")
    message.deleted = True
    ctx.world.touch("delete", message)
    return True


@method("answerCallbackQuery")
async def answer_callback_query(ctx: Context, params: Params) -> Any:
    """Once per query, within 15 s of the press; later, again, or unknown: Telegram's 400."""
    query_id = params.text("callback_query_id") or ""
    query = ctx.world.callback_queries.get(query_id)
    if query is None or query.answered or ctx.world.clock() - query.created > QUERY_TIMEOUT:
        raise bad_request(QUERY_TOO_OLD)
    text = params.text("text") or ""
    if utf16_len(text) > MAX_TOAST:
        raise bad_request("MESSAGE_TOO_LONG")
    _too_many(ctx.gate.check_answer())
    query.answered = True
    if text:
        query.user.toasts.append(text)
        ctx.world.touch("toast", query.message)
    else:
        ctx.world.touch()
    return True


async def _no_op(ctx: Context, params: Params) -> Any:
    return True


METHODS["close"] = METHODS["logout"] = _no_op
