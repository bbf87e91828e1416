"""The local Bot API server answers as Telegram does: same JSON, same errors, same limits.

Most checks go through python-telegram-bot's own Bot, so they prove the library
maps our answers to the exceptions it raises against Telegram. Each runs over
PTB's own httpx requests and over the bot's aiohttp requests (`bot/shell/http.py`), so
the two are proven to behave alike.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
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

from bot.base.clock import ManualClock
from bot.sandbox import BotApiServer, Person, SimMessage, World
from bot.sandbox.harness import SANDBOX_TOKEN
from bot.shell.http import AiohttpRequest

QUERY_TOO_OLD = {
    "ok": False,
    "error_code": 400,
    "description": "Bad Request: query is too old and response timeout expired or query ID "
    "is invalid",
}


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


def client_of(server: BotApiServer, http: str) -> Bot:
    return Bot(
        SANDBOX_TOKEN,
        base_url=f"{server.url}/bot",
        base_file_url=f"{server.url}/file/bot",
        request=requests(5)[http],
    )


@pytest.fixture
async def bot(server: BotApiServer, http: str) -> AsyncIterator[Bot]:
    async with client_of(server, http) as client:
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


Received = list[tuple[dict[str, Any], str | None]]


@contextlib.asynccontextmanager
async def webhook_receiver(server: BotApiServer) -> AsyncIterator[tuple[str, Received]]:
    """A webhook endpoint on 127.0.0.1: its URL and every (update, secret header) it got."""
    from aiohttp import web

    received: Received = []

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
        yield f"http://127.0.0.1:{port}/hook", received
    finally:
        await runner.cleanup()


async def test_webhook_mode_delivers_updates_with_the_secret_token(
    bot: Bot, server: BotApiServer, ann: Person
) -> None:
    async with webhook_receiver(server) as (url, received):
        await bot.set_webhook(url, secret_token="s3cret")
        await server.world.wait_for(lambda: received)
        update, secret = received[0]
        assert update["message"]["text"] == "/start"
        assert secret == "s3cret"
        await server.world.wait_for(lambda: not server.world.updates)


# --- as strict as Telegram (issue 16, item 6) ---------------------------------------


async def test_updates_stay_pending_until_an_offset_confirms_them_across_restarts(
    bot: Bot, server: BotApiServer, ann: Person, http: str
) -> None:
    ann.send("second")
    taken = await bot.get_updates(timeout=0)
    assert [u.message.text for u in taken if u.message] == ["/start", "second"]
    assert await bot.get_updates(timeout=0) == taken  # taken is not confirmed
    async with client_of(server, http) as restarted:  # the bot came back: no offset known
        assert await restarted.get_updates(timeout=0) == taken
        assert await restarted.get_updates(offset=0, timeout=0) == taken
        rest = await restarted.get_updates(offset=taken[0].update_id + 1, timeout=0)
        assert rest == taken[1:]
    async with client_of(server, http) as again:
        assert await again.get_updates(timeout=0) == taken[1:]
        assert await again.get_updates(offset=taken[-1].update_id + 1, timeout=0) == ()
        assert await again.get_updates(timeout=0) == ()
    assert server.world.updates == []


async def test_a_negative_offset_keeps_only_the_last_updates(
    server: BotApiServer, ann: Person
) -> None:
    ann.send("second")
    ann.send("third")
    _, body = await raw(server, "getUpdates", offset=-1)
    assert [u["message"]["text"] for u in body["result"]] == ["third"]
    _, body = await raw(server, "getUpdates")
    assert [u["message"]["text"] for u in body["result"]] == ["third"]


def too_many(seconds: int) -> dict[str, Any]:
    return {
        "ok": False,
        "error_code": 429,
        "description": f"Too Many Requests: retry after {seconds}",
        "parameters": {"retry_after": seconds},
    }


def pressed(ann: Person, message: SimMessage, data: str = "yes") -> str:
    """Ann taps a button of `message`; the callback query's id."""
    ann.press_data(message, data)
    query_id = ann.world.updates[-1]["callback_query"]["id"]
    assert isinstance(query_id, str)
    return query_id


async def card(server: BotApiServer, ann: Person) -> SimMessage:
    """A message from the bot with one button, as Ann sees it."""
    markup = {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]}
    status, _ = await raw(
        server, "sendMessage", chat_id=ann.user.id, text="Ready?", reply_markup=markup
    )
    assert status == 200
    return ann.bot_messages()[-1]


async def test_injected_429s_hit_edits_and_callback_answers_too(
    bot: Bot, server: BotApiServer, ann: Person
) -> None:
    sent = await card(server, ann)
    query_id = pressed(ann, sent)
    server.faults.throttle_rate = 1.0
    server.faults.throttle_retry_after = 3
    chat, message = ann.user.id, sent.message_id
    tries = {
        "sendMessage": {"chat_id": chat, "text": "hi"},
        "editMessageText": {"chat_id": chat, "message_id": message, "text": "Edited"},
        "editMessageReplyMarkup": {"chat_id": chat, "message_id": message},
        "answerCallbackQuery": {"callback_query_id": query_id, "text": "Noted"},
    }
    for name, params in tries.items():
        assert await raw(server, name, **params) == (429, too_many(3)), name
    with pytest.raises(RetryAfter) as caught:
        await bot.edit_message_text("Edited", chat_id=chat, message_id=message)
    assert caught.value.retry_after == timedelta(seconds=3)
    with pytest.raises(RetryAfter):
        await bot.answer_callback_query(query_id)
    assert await bot.send_chat_action(chat, "typing")  # neither a send nor an edit
    assert await bot.get_updates(timeout=0)
    assert sent.shown_text == "Ready?"
    assert ann.user.toasts == []  # nothing of a throttled call was carried out
    server.faults.throttle_rate = 0.0
    assert await bot.answer_callback_query(query_id, text="Noted")  # still answerable
    assert ann.user.toasts == ["Noted"]


async def test_throttled_methods_can_be_chosen(server: BotApiServer, ann: Person) -> None:
    sent = await card(server, ann)
    async with httpx.AsyncClient(base_url=server.url) as client:
        faults = await client.put("/sim/faults", json={"throttle_methods": ["answerCallbackQuery"]})
    assert faults.json()["throttle_methods"] == ["answerCallbackQuery"]
    answer = await raw(server, "answerCallbackQuery", callback_query_id=pressed(ann, sent))
    assert answer == (429, too_many(1))
    assert (await raw(server, "sendMessage", chat_id=ann.user.id, text="hi"))[0] == 200
    edit = await raw(
        server, "editMessageText", chat_id=ann.user.id, message_id=sent.message_id, text="New"
    )
    assert edit[0] == 200


async def test_the_message_limit_counts_sends_only_and_edits_have_their_own(
    server: BotApiServer, ann: Person
) -> None:
    server.gate.clock = lambda: 1000.0  # time stands still: every call in the same second
    server.limits.global_per_second = 2
    server.limits.edits_per_chat_per_minute = 3
    server.limits.answers_per_second = 1
    sent = await card(server, ann)
    edits = [
        await raw(
            server, "editMessageText", chat_id=ann.user.id, message_id=sent.message_id, text=text
        )
        for text in ("one", "two", "three", "four")
    ]
    assert [status for status, _ in edits] == [200, 200, 200, 429]
    assert edits[-1][1]["parameters"]["retry_after"] >= 1
    first, second = pressed(ann, sent), pressed(ann, sent)
    assert (await raw(server, "answerCallbackQuery", callback_query_id=first))[0] == 200
    answered = await raw(server, "answerCallbackQuery", callback_query_id=second)
    assert answered[0] == 429
    assert answered[1]["description"].startswith("Too Many Requests: retry after")
    sends = [await raw(server, "sendMessage", chat_id=ann.user.id, text="hi") for _ in range(2)]
    assert [status for status, _ in sends] == [200, 429]  # the card and this one: 2 a second


@pytest.fixture
def moved() -> ManualClock:
    return ManualClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))


@pytest.fixture
async def timed(moved: ManualClock) -> AsyncIterator[BotApiServer]:
    """A server whose clock the test moves: callback queries age without sleeping."""
    world = World(clock=lambda: moved.now().timestamp())
    async with BotApiServer(SANDBOX_TOKEN, world=world) as running:
        yield running


async def test_a_callback_query_answered_after_15_seconds_is_too_old(
    timed: BotApiServer, moved: ManualClock, http: str
) -> None:
    ann = Person.create(timed.world, "Ann")
    ann.send("/start")
    sent = await card(timed, ann)
    in_time, late = pressed(ann, sent), pressed(ann, sent)
    moved.advance(timedelta(seconds=15))
    answer = await raw(timed, "answerCallbackQuery", callback_query_id=in_time, text="Noted")
    assert answer == (200, {"ok": True, "result": True})
    moved.advance(timedelta(seconds=0.5))
    assert await raw(timed, "answerCallbackQuery", callback_query_id=late) == (400, QUERY_TOO_OLD)
    async with client_of(timed, http) as bot:
        with pytest.raises(BadRequest, match=r"[Qq]uery is too old"):
            await bot.answer_callback_query(late, text="Too late")
    assert ann.user.toasts == ["Noted"]


async def test_an_unknown_or_answered_callback_query_is_too_old(
    server: BotApiServer, ann: Person
) -> None:
    query_id = pressed(ann, await card(server, ann))
    unknown = await raw(server, "answerCallbackQuery", callback_query_id="424242")
    assert unknown == (400, QUERY_TOO_OLD)
    assert (await raw(server, "answerCallbackQuery", callback_query_id=query_id))[0] == 200
    twice = await raw(server, "answerCallbackQuery", callback_query_id=query_id)
    assert twice == (400, QUERY_TOO_OLD)


BAD_URLS = [
    "",
    "example.org",
    "www.example.org/path",
    "javascript:alert(1)",
    "https://exa mple.org",
    "https://example.org/a b",
    " https://example.org",
    "http://",
    "https:///path",
    "ftp://example.org",
    "mailto:ann@example.org",
    "tg:resolve?domain=x",
    "https://example.org:99999",
]
GOOD_URLS = [
    "https://example.org",
    "http://127.0.0.1:8080/join?id=1",
    "https://meet.example.org/room#start",
    "tg://resolve?domain=learning_culture_bot",
    "https://t.me/learning_culture_bot?start=register",
]
LINKED = ["sendMessage", "editMessageText", "editMessageReplyMarkup", "sendDocument", "sendPhoto"]


async def with_link(server: BotApiServer, ann: Person, method: str, url: str) -> Any:
    """Call `method` with a keyboard whose one button links to `url`."""
    markup = {"inline_keyboard": [[{"text": "Open", "url": url}]]}
    params: dict[str, Any] = {"chat_id": ann.user.id, "reply_markup": markup}
    if method.startswith("edit"):
        params["message_id"] = (await card(server, ann)).message_id
    if method in ("sendMessage", "editMessageText"):
        params["text"] = "Follow the link"
    if method in ("sendDocument", "sendPhoto"):
        stored = server.world.store_file("a.png", "image/png", b"\x89PNG fake")
        params[method.removeprefix("send").lower()] = stored.file_id
    return await raw(server, method, **params)


@pytest.mark.parametrize("method", LINKED)
@pytest.mark.parametrize("url", BAD_URLS)
async def test_a_link_button_with_a_bad_url_is_refused(
    server: BotApiServer, ann: Person, method: str, url: str
) -> None:
    refused = f"Bad Request: inline keyboard button URL '{url}' is invalid: Wrong HTTP URL"
    assert await with_link(server, ann, method, url) == (
        400,
        {"ok": False, "error_code": 400, "description": refused},
    )


@pytest.mark.parametrize("method", LINKED)
@pytest.mark.parametrize("url", GOOD_URLS)
async def test_a_link_button_to_http_https_or_tg_is_taken(
    server: BotApiServer, ann: Person, method: str, url: str
) -> None:
    status, body = await with_link(server, ann, method, url)
    assert status == 200, body
    assert ann.bot_messages()[-1].buttons == [[{"text": "Open", "url": url}]]


async def test_the_library_reports_a_bad_button_url(bot: Bot, ann: Person) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Open", url="javascript:alert(1)")]])
    with pytest.raises(BadRequest, match=r"(?i)button url .javascript:alert\(1\). is invalid"):
        await bot.send_message(ann.user.id, "Tap", reply_markup=markup)


async def test_webhook_updates_can_be_posted_twice(
    bot: Bot, server: BotApiServer, ann: Person
) -> None:
    server.faults.duplicate_webhooks = 1
    async with webhook_receiver(server) as (url, received):
        await bot.set_webhook(url)
        await server.world.wait_for(lambda: len(received) == 2 and not server.world.updates)
        first = received[0][0]
        assert [update for update, _ in received] == [first, first]  # the same update_id too
        assert first["message"]["text"] == "/start"
        ann.send("second")
        await server.world.wait_for(lambda: len(received) == 3 and not server.world.updates)
        second = received[2][0]
        assert second["message"]["text"] == "second"  # the fault was for one update only
        async with httpx.AsyncClient(base_url=server.url) as client:
            again = await client.post(f"/sim/updates/{first['update_id']}/redeliver")
            assert again.json() == first
            await server.world.wait_for(lambda: len(received) == 4)
            assert received[3][0] == first
            assert (await client.post("/sim/updates/999999/redeliver")).status_code == 404
    ids = [first["update_id"], first["update_id"], second["update_id"], first["update_id"]]
    assert server.world.webhook_posts == ids


async def test_a_redelivered_update_is_not_polled_again_once_confirmed(
    server: BotApiServer, ann: Person
) -> None:
    _, body = await raw(server, "getUpdates")
    update = body["result"][0]
    confirmed = await raw(server, "getUpdates", offset=update["update_id"] + 1)
    assert confirmed == (200, {"ok": True, "result": []})
    assert server.world.redeliver(update["update_id"]) == update
    _, body = await raw(server, "getUpdates", offset=update["update_id"] + 1)
    assert body["result"] == []
