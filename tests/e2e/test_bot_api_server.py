"""The local Bot API server answers as Telegram does: same JSON, same errors, same limits.

Most checks go through python-telegram-bot's own Bot, so they prove the library
maps our answers to the exceptions it raises against Telegram. Each runs over
PTB's own httpx requests and over the bot's aiohttp requests (`bot/http.py`), so
the two are proven to behave alike.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot.http import AiohttpRequest
from bot.sandbox import BotApiServer, Person
from bot.sandbox.harness import SANDBOX_TOKEN


@pytest.fixture
async def server() -> AsyncIterator[BotApiServer]:
    async with BotApiServer(SANDBOX_TOKEN) as running:
        yield running


def requests(read_timeout: float) -> dict[str, BaseRequest]:
    return {
        "httpx": HTTPXRequest(read_timeout=read_timeout),
        "aiohttp": AiohttpRequest(read_timeout=read_timeout),
    }


@pytest.fixture(params=["httpx", "aiohttp"])
def http(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def bot(server: BotApiServer, http: str) -> AsyncIterator[Bot]:
    async with Bot(
        SANDBOX_TOKEN,
        base_url=f"{server.url}/bot",
        base_file_url=f"{server.url}/file/bot",
        request=requests(5)[http],
    ) as client:
        yield client


@pytest.fixture
def ann(server: BotApiServer) -> Person:
    person = Person.create(server.world, "Ann")
    person.send("/start")
    return person


async def raw(server: BotApiServer, method: str, token: str = SANDBOX_TOKEN, **params: Any) -> Any:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{server.url}/bot{token}/{method}", json=params)
    return response.status_code, response.json()


async def test_get_me_describes_the_bot(bot: Bot, server: BotApiServer) -> None:
    me = await bot.get_me()
    assert me.is_bot
    assert me.username == server.world.bot.username


async def test_get_updates_long_polls_and_confirms_with_offset(
    bot: Bot, server: BotApiServer, ann: Person
) -> None:
    first = await bot.get_updates(timeout=1)
    assert [u.message.text for u in first if u.message] == ["/start"]
    assert first[0].message is not None
    assert first[0].message.entities[0].type == "bot_command"
    ann.send("second")
    ann.send("third")
    later = await bot.get_updates(offset=first[-1].update_id + 1, limit=1, timeout=1)
    assert [u.message.text for u in later if u.message] == ["second"]
    assert len(server.world.updates) == 2  # "/start" was confirmed and forgotten
    assert await bot.get_updates(offset=later[0].update_id + 1, timeout=0) != []


async def test_get_updates_filters_by_allowed_updates(bot: Bot, ann: Person) -> None:
    assert await bot.get_updates(timeout=0, allowed_updates=["callback_query"]) == ()


async def test_send_message_with_html_keeps_formatting_as_entities(
    bot: Bot, server: BotApiServer, ann: Person
) -> None:
    sent = await bot.send_message(ann.user.id, "Hi <b>Ann</b> &amp; co", parse_mode=ParseMode.HTML)
    assert sent.text == "Hi Ann & co"
    assert sent.entities[0].type == "bold"
    assert ann.bot_messages()[-1].shown_text == "Hi Ann & co"


async def test_text_over_4096_characters_is_refused(bot: Bot, ann: Person) -> None:
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message(ann.user.id, "a" * 4097)
    assert (await bot.send_message(ann.user.id, "a" * 4096)).text == "a" * 4096


async def test_empty_text_is_refused(server: BotApiServer, ann: Person) -> None:
    status, body = await raw(server, "sendMessage", chat_id=ann.user.id, text="  ")
    assert (status, body) == (
        400,
        {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"},
    )


@pytest.mark.parametrize("broken", ["1 < 2", "<b>unclosed", "<br>", "<b><i>x</b></i>"])
async def test_html_that_does_not_parse_is_refused(bot: Bot, ann: Person, broken: str) -> None:
    with pytest.raises(BadRequest, match="parse entities"):
        await bot.send_message(ann.user.id, broken, parse_mode=ParseMode.HTML)


async def test_callback_data_over_64_bytes_is_refused(bot: Bot, ann: Person) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match=r"Button_data_invalid|BUTTON_DATA_INVALID"):
        await bot.send_message(ann.user.id, "Tap", reply_markup=markup)


async def test_editing_to_the_same_content_is_not_modified(bot: Bot, ann: Person) -> None:
    sent = await bot.send_message(ann.user.id, "Same")
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("Same", chat_id=ann.user.id, message_id=sent.message_id)
    edited = await bot.edit_message_text("New", chat_id=ann.user.id, message_id=sent.message_id)
    assert not isinstance(edited, bool)
    assert edited.text == "New"
    assert ann.bot_messages()[-1].edit_date is not None


async def test_edit_reply_markup_and_delete_change_what_the_user_sees(
    bot: Bot, ann: Person
) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Next", callback_data="next")]])
    sent = await bot.send_message(ann.user.id, "Card", reply_markup=markup)
    await bot.edit_message_reply_markup(ann.user.id, sent.message_id, reply_markup=None)
    assert ann.bot_messages()[-1].button_labels == []
    assert await bot.delete_message(ann.user.id, sent.message_id)
    assert all(m.message_id != sent.message_id for m in ann.messages())
    with pytest.raises(BadRequest, match="not found"):
        await bot.delete_message(ann.user.id, sent.message_id)


async def test_unknown_chat_is_chat_not_found(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"[Cc]hat not found"):
        await bot.send_message(424242, "Hello?")


async def test_user_who_blocked_the_bot_gives_403(bot: Bot, ann: Person) -> None:
    ann.block()
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(ann.user.id, "Hello?")


async def test_user_who_never_wrote_cannot_be_messaged(bot: Bot, server: BotApiServer) -> None:
    stranger = Person.create(server.world, "Stranger")
    with pytest.raises(Forbidden, match="initiate conversation"):
        await bot.send_message(stranger.user.id, "Hello?")


async def test_global_rate_limit_answers_429_with_retry_after(
    server: BotApiServer, ann: Person
) -> None:
    server.limits.global_per_second = 3
    answers = [await raw(server, "sendMessage", chat_id=ann.user.id, text="hi") for _ in range(4)]
    assert [status for status, _ in answers] == [200, 200, 200, 429]
    body = answers[-1][1]
    assert body["error_code"] == 429
    assert body["parameters"]["retry_after"] >= 1
    assert body["description"].startswith("Too Many Requests: retry after")


async def test_per_chat_rate_limit_raises_retry_after_in_the_library(
    bot: Bot, server: BotApiServer, ann: Person
) -> None:
    server.limits.per_chat_per_second = 1
    other = Person.create(server.world, "Bea")
    other.send("/start")
    await bot.send_message(ann.user.id, "one")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(ann.user.id, "two")
    assert caught.value.retry_after == timedelta(seconds=1)
    assert (await bot.send_message(other.user.id, "other chat is fine")).text


async def test_group_rate_limit_is_twenty_a_minute(server: BotApiServer) -> None:
    group = server.world.add_group("Fans")
    statuses = [
        (await raw(server, "sendMessage", chat_id=group.id, text="hi"))[0] for _ in range(21)
    ]
    assert statuses.count(200) == 20
    assert statuses[-1] == 429


async def test_injected_500s_reach_the_library_as_network_errors(
    bot: Bot, server: BotApiServer, ann: Person
) -> None:
    server.faults.error_rate = 1.0
    with pytest.raises(NetworkError):
        await bot.send_message(ann.user.id, "hi")
    server.faults.error_rate = 0.0
    assert (await bot.send_message(ann.user.id, "hi")).text == "hi"


async def test_injected_latency_makes_an_impatient_client_time_out(
    server: BotApiServer, ann: Person, http: str
) -> None:
    async with Bot(
        SANDBOX_TOKEN, base_url=f"{server.url}/bot", request=requests(0.2)[http]
    ) as impatient:
        server.faults.latency = 2.0
        with pytest.raises(TimedOut):
            await impatient.send_message(ann.user.id, "hi")


async def test_a_server_that_is_not_there_is_a_network_error(http: str) -> None:
    async with BotApiServer(SANDBOX_TOKEN) as gone:
        url = gone.url
    request = requests(1)[http]
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.post(f"{url}/bot{SANDBOX_TOKEN}/getMe")
    finally:
        await request.shutdown()


async def test_wrong_token_is_unauthorized_and_unknown_method_not_found(
    server: BotApiServer,
) -> None:
    assert await raw(server, "getMe", token="1:wrong") == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert (await raw(server, "sendTelepathy"))[1]["error_code"] == 404
    with pytest.raises(InvalidToken):
        async with Bot("1:wrong", base_url=f"{server.url}/bot") as wrong:
            await wrong.get_me()


async def test_get_updates_conflicts_with_an_active_webhook(bot: Bot) -> None:
    assert await bot.set_webhook("https://bot.example.org/hook", secret_token="s3cret")
    assert (await bot.get_webhook_info()).url == "https://bot.example.org/hook"
    with pytest.raises(Conflict):
        await bot.get_updates(timeout=0)
    assert await bot.delete_webhook()
    assert await bot.get_updates(timeout=0) == ()


async def test_commands_are_kept_per_scope_and_language(bot: Bot, ann: Person) -> None:
    await bot.set_my_commands([BotCommand("start", "Begin")])
    await bot.set_my_commands([BotCommand("start", "Begin")], language_code="nl")
    scope = BotCommandScopeChat(ann.user.id)
    await bot.set_my_commands([BotCommand("broadcast", "Send to all")], scope=scope)
    assert [c.command for c in await bot.get_my_commands(scope=scope)] == ["broadcast"]
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    await bot.delete_my_commands(scope=scope)
    assert await bot.get_my_commands(scope=scope) == ()
    with pytest.raises(BadRequest, match=r"[Cc]ommand"):
        await bot.set_my_commands([BotCommand("Not Valid", "x")])


async def test_documents_and_photos_are_uploaded_and_kept(
    bot: Bot, server: BotApiServer, ann: Person
) -> None:
    sent = await bot.send_document(
        ann.user.id, io.BytesIO(b"id;answer\n1;yes\n"), filename="answers.csv", caption="Export"
    )
    assert sent.document is not None
    assert sent.document.file_name == "answers.csv"
    shown = ann.bot_messages()[-1]
    assert shown.document is not None
    assert shown.document.data == b"id;answer\n1;yes\n"
    assert shown.shown_text == "Export"
    photo = await bot.send_photo(ann.user.id, io.BytesIO(b"\x89PNG fake"), caption="Chart")
    assert photo.photo
    assert server.world.files[photo.photo[-1].file_id].data == b"\x89PNG fake"
    again = await bot.send_document(ann.user.id, sent.document.file_id)
    assert again.document is not None
    assert again.document.file_id == sent.document.file_id


async def test_callback_queries_can_be_answered_once(
    bot: Bot, server: BotApiServer, ann: Person
) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
    await bot.send_message(ann.user.id, "Ready?", reply_markup=markup)
    ann.press("Yes")
    updates = await bot.get_updates(timeout=1, allowed_updates=["callback_query"])
    query = updates[-1].callback_query
    assert query is not None
    assert query.data == "yes"
    assert await bot.answer_callback_query(query.id, text="Noted")
    assert ann.user.toasts == ["Noted"]
    with pytest.raises(BadRequest, match=r"[Qq]uery is too old"):
        await bot.answer_callback_query(query.id)


async def test_chat_action_and_every_call_is_counted(
    bot: Bot, server: BotApiServer, ann: Person
) -> None:
    assert await bot.send_chat_action(ann.user.id, "typing")
    await bot.send_message(ann.user.id, "hi")
    counts = server.world.call_counts()
    assert counts["sendChatAction"] == 1
    assert counts["sendMessage"] == 1


async def test_user_side_works_over_http(server: BotApiServer, bot: Bot) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        user = (await client.post("/sim/users", json={"first_name": "Cas"})).json()
        await client.post(f"/sim/users/{user['id']}/send", json={"text": "/start"})
        update = (await bot.get_updates(timeout=1))[-1]
        assert update.message is not None
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
        await bot.send_message(user["id"], "<i>Welcome</i>", parse_mode="HTML", reply_markup=markup)
        chat = (await client.get(f"/sim/users/{user['id']}/chat")).json()
        assert [m["text"] for m in chat] == ["/start", "Welcome"]
        assert chat[-1]["buttons"] == [["Go"]]
        pressed = await client.post(f"/sim/users/{user['id']}/press", json={"label": "Go"})
        assert pressed.status_code == 200
        limits = (await client.put("/sim/limits", json={"per_chat_per_second": 1})).json()
        assert limits["per_chat_per_second"] == 1
        faults = (await client.put("/sim/faults", json={"error_rate": 0.5})).json()
        assert faults["error_rate"] == 0.5
        calls = (await client.get("/sim/calls")).json()
        assert calls["counts"]["sendMessage"] == 1


async def test_webhook_mode_delivers_updates_with_the_secret_token(
    bot: Bot, server: BotApiServer, ann: Person
) -> None:
    from aiohttp import web

    received: list[tuple[dict[str, Any], str | None]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        server.world.touch()
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        await server.world.wait_for(lambda: received)
        update, secret = received[0]
        assert update["message"]["text"] == "/start"
        assert secret == "s3cret"
        await server.world.wait_for(lambda: not server.world.updates)
    finally:
        await runner.cleanup()
