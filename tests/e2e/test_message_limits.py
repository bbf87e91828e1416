"""The local Bot API server measures text as Telegram does: UTF-16 code units of the text
once its HTML is parsed (tags count nothing, `&amp;` one character, 🎉 two), 4096 for a
message sent or edited, 1024 for a caption, 200 for a toast; and of the named entities
only `&lt;`, `&gt;`, `&amp;` and `&quot;` exist, any other stays as written."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.sandbox import BotApiServer, Person
from bot.sandbox.harness import SANDBOX_TOKEN

PARTY = "🎉"  # beyond the BMP: two UTF-16 code units


@pytest.fixture
async def server() -> AsyncIterator[BotApiServer]:
    async with BotApiServer(SANDBOX_TOKEN) as running:
        yield running


@pytest.fixture
async def bot(server: BotApiServer) -> AsyncIterator[Bot]:
    async with Bot(
        SANDBOX_TOKEN, base_url=f"{server.url}/bot", base_file_url=f"{server.url}/file/bot"
    ) as client:
        yield client


@pytest.fixture
def ann(server: BotApiServer) -> Person:
    person = Person.create(server.world, "Ann")
    person.send("/start")
    return person


@pytest.mark.parametrize(
    ("fits", "too_long"),
    [
        (PARTY * 2048, PARTY * 2048 + "x"),  # 4096 and 4097 units, 2048 and 2049 characters
        (f"<b>{'&amp;' * 4096}</b>", f"<b>{'&amp;' * 4097}</b>"),  # 20 kB of HTML, 4096 parsed
        ("x" * 4090 + "&nbsp;", "x" * 4091 + "&nbsp;"),  # &nbsp; is no entity: six characters
    ],
)
async def test_a_message_is_measured_in_utf16_units_after_parsing(
    bot: Bot, ann: Person, fits: str, too_long: str
) -> None:
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await bot.send_message(ann.user.id, too_long, parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await bot.send_message(ann.user.id, PARTY * 2049)  # no parse mode: the same count
    sent = await bot.send_message(ann.user.id, fits, parse_mode=ParseMode.HTML)
    assert sent.text is not None
    assert len(sent.text.encode("utf-16-le")) // 2 == 4096
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await bot.edit_message_text(
            too_long, ann.user.id, sent.message_id, parse_mode=ParseMode.HTML
        )
    assert ann.bot_messages()[-1].shown_text == sent.text  # the refused edit changed nothing
    edited = await bot.edit_message_text(
        f"<i>{'👍' * 2048}</i>", ann.user.id, sent.message_id, parse_mode=ParseMode.HTML
    )
    assert not isinstance(edited, bool)
    assert edited.text == "👍" * 2048


async def test_a_caption_holds_1024_units_after_parsing(bot: Bot, ann: Person) -> None:
    with pytest.raises(BadRequest, match=r"^Message caption is too long$"):
        await bot.send_document(
            ann.user.id, io.BytesIO(b"x"), filename="a.csv", caption=PARTY * 513
        )
    with pytest.raises(BadRequest, match=r"^Message caption is too long$"):
        await bot.send_photo(
            ann.user.id, io.BytesIO(b"\x89PNG"), caption=f"<i>{PARTY * 512}!</i>", parse_mode="HTML"
        )
    sent = await bot.send_document(
        ann.user.id,
        io.BytesIO(b"x"),
        filename="a.csv",
        caption=f"<b>{PARTY * 511}</b>&lt;&gt;",
        parse_mode=ParseMode.HTML,
    )
    assert sent.caption == PARTY * 511 + "<>"


async def test_only_the_four_named_entities_are_read_and_the_semicolon_may_be_left_out(
    bot: Bot, ann: Person
) -> None:
    sent = await bot.send_message(
        ann.user.id, "&lt;&gt;&amp;&quot; &amp &nbsp; &copy; &#128512; &#0; AT&T", parse_mode="HTML"
    )
    assert sent.text == '<>&" & &nbsp; &copy; 😀 &#0; AT&T'


async def test_a_toast_holds_200_units(bot: Bot, server: BotApiServer, ann: Person) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    await bot.send_message(ann.user.id, "Tap", reply_markup=markup)
    ann.press("Go")
    ann.press("Go")
    updates = await bot.get_updates(timeout=1, allowed_updates=["callback_query"])
    first, second = (u.callback_query for u in updates[-2:])
    assert first is not None
    assert second is not None
    with pytest.raises(BadRequest, match=r"^Message_too_long$"):
        await bot.answer_callback_query(first.id, text=PARTY * 101)  # 101 characters, 202 units
    assert await bot.answer_callback_query(second.id, text=PARTY * 100)
    assert ann.user.toasts == [PARTY * 100]
