"""The local Telegram's messaging methods: send, edit, delete, and answer a button press."""

from __future__ import annotations

from typing import Any

from aiohttp.web_request import FileField

from bot.base.telegram_html import utf16_len
from bot.sandbox.calls import Context, Method, paced, registrar, sent, target_chat, too_many
from bot.sandbox.params import Params, bad_request, formatted, keyboard
from bot.sandbox.records import SimMessage
from bot.sandbox.world import QUERY_TIMEOUT

__all__ = ["MESSAGING"]

MAX_TEXT = 4096
MAX_CAPTION = 1024
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
MAX_TOAST = 200

MESSAGING: dict[str, Method] = {}
method = registrar(MESSAGING)


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


@method("sendMessage")
async def send_message(ctx: Context, params: Params) -> Any:
    chat = target_chat(ctx, params)
    text, entities = formatted(params, "text", MAX_TEXT, "message text is empty")
    markup = keyboard(params)
    paced(ctx, chat)
    message = ctx.world.new_message(
        chat, ctx.world.bot, text=text, entities=entities, reply_markup=markup
    )
    return sent(ctx, message)


async def _send_file(ctx: Context, params: Params, field: str, mime: str) -> Any:
    chat = target_chat(ctx, params)
    caption, entities = formatted(params, "caption", MAX_CAPTION, "")
    markup = keyboard(params)
    file = await _upload(ctx, params, field, mime)
    paced(ctx, chat)
    message = ctx.world.new_message(
        chat,
        ctx.world.bot,
        caption=caption or None,
        entities=entities,
        reply_markup=markup,
        **{field: file},
    )
    return sent(ctx, message)


@method("sendDocument")
async def send_document(ctx: Context, params: Params) -> Any:
    return await _send_file(ctx, params, "document", "application/octet-stream")


@method("sendPhoto")
async def send_photo(ctx: Context, params: Params) -> Any:
    return await _send_file(ctx, params, "photo", "image/png")


@method("sendChatAction")
async def send_chat_action(ctx: Context, params: Params) -> Any:
    target_chat(ctx, params)
    if not params.text("action"):
        raise bad_request("wrong parameter action in request")
    return True


def _own_message(ctx: Context, params: Params, missing: str) -> SimMessage:
    if params.has("inline_message_id"):
        raise bad_request("inline messages are not supported in the sandbox")
    chat = target_chat(ctx, params)
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
    too_many(ctx.gate.check_edit(message.chat.id))  # edits do not count as sent messages
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
    chat = target_chat(ctx, params)
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
    too_many(ctx.gate.check_answer())
    query.answered = True
    if text:
        query.user.toasts.append(text)
        ctx.world.touch("toast", query.message)
    else:
        ctx.world.touch()
    return True
