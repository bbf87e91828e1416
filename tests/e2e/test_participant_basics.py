"""A participant's first minutes with the bot, driven over HTTP as in Telegram."""

from __future__ import annotations

from bot.sandbox.harness import Sandbox
from bot.sandbox.records import SimMessage
from bot.sandbox.users import Person
from store import participants
from tests.wording import said

# The menu's buttons, in order, as a participant reads them (words from content/, by key).
MENU_KEYS = ("course", "reflect", "register", "sections", "status", "help")
MENU = [said(f"menu.{key}") for key in MENU_KEYS]
MENU_NL = [said(f"menu.{key}", "nl") for key in MENU_KEYS]


async def answers_to_start(person: Person, help_says: str = "What I can do") -> list[SimMessage]:
    """Every message the bot sends for one /start.

    /help goes right after it: one person's updates are handled in order, so once
    /help is answered (`help_says`, in the person's language), everything /start
    had to say has arrived before it.
    """
    seen = len(person.bot_messages())
    person.send("/start")
    person.send("/help")
    answered = await person.expect(help_says)
    after = person.bot_messages()[seen:]
    return after[: next(i for i, m in enumerate(after) if m is answered)]


async def test_start_greets_by_first_name_explains_and_shows_menu(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    [welcome] = await answers_to_start(ann)  # one message, not one per paragraph
    assert welcome.shown_text.startswith(said("welcome.newcomer", name="Ann"))
    assert "The Magic of a Learning Culture" in welcome.shown_text  # the brief's facts
    assert "Society for Organisational Learning" in welcome.shown_text
    assert welcome.shown_text.endswith(said("menu.prompt"))
    assert welcome.button_labels == MENU
    stored = await participants.get(tg.store, ann.user.id)
    assert stored is not None
    assert stored.first_name == "Ann"
    assert stored.language == "en"


async def test_start_twice_keeps_one_participant_and_welcomes_back(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    await answers_to_start(ann)
    [again] = await answers_to_start(ann)
    assert again.shown_text.startswith(said("welcome.returning", name="Ann"))
    assert said("menu.prompt") in again.shown_text
    assert "Society for Organisational Learning" not in again.shown_text
    assert again.button_labels == MENU
    assert await participants.count(tg.store) == 1


async def test_help_lists_the_commands(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    ann.send("/help")
    text = (await ann.expect("What I can do")).shown_text
    for command in ("/start", "/menu", "/course", "/sections", "/language", "/pause", "/status"):
        assert command in text


async def test_status_button_shows_what_the_bot_knows(tg: Sandbox) -> None:
    ann = tg.person("Ann", language_code="en-GB")
    ann.send("/start")
    await ann.expect("What would you like to do?")
    ann.press("📋 My status")
    status = await ann.expect("Your status")
    assert "Name: Ann" in status.shown_text
    assert "Language: English" in status.shown_text


async def test_dutch_telegram_user_is_greeted_in_dutch(tg: Sandbox) -> None:
    bram = tg.person("Bram", language_code="nl")
    [welcome] = await answers_to_start(bram, help_says="Wat ik kan")
    assert welcome.shown_text.startswith(said("welcome.newcomer", "nl", name="Bram"))
    assert welcome.shown_text.endswith(said("menu.prompt", "nl"))
    assert said("menu.prompt") not in welcome.shown_text
    assert welcome.button_labels == MENU_NL


async def test_double_tap_on_a_button_answers_each_tap_without_error(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    ann.send("/start")
    menu = await ann.expect("What would you like to do?")
    ann.press("❓ Help", menu)
    ann.press("❓ Help", menu)
    await ann.expect("What I can do")
    await ann.expect("What I can do")
    assert not any("went wrong" in m.shown_text for m in ann.bot_messages())


async def test_forged_button_data_gets_a_toast_and_the_menu(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    ann.send("/start")
    menu = await ann.expect("What would you like to do?")
    ann.press_data(menu, "course:next:999")
    assert "no longer active" in await ann.expect_toast("no longer active")
    await ann.expect("What would you like to do?")


async def test_unknown_command_gets_a_pointer_to_help(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    ann.send("/teleport now")
    answer = await ann.expect("/teleport")
    assert "I don't know the command /teleport" in answer.shown_text
    assert "/help" in answer.shown_text


async def test_stray_text_gets_a_short_answer_with_the_menu(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    ann.send("/start")
    await ann.expect("What would you like to do?")
    ann.send("שלום 👋 مرحبا — is this the right place?")
    answer = await ann.expect("Thanks for your message")
    assert answer.button_labels == MENU


async def test_first_contact_without_start_still_gets_the_welcome(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    ann.send("hi")
    welcome = await ann.expect("Hello Ann!")
    assert "What would you like to do?" in welcome.shown_text
    assert welcome.button_labels == MENU


async def test_sticker_where_text_is_expected_gets_a_clear_answer(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    ann.send("/start")
    await ann.expect("What would you like to do?")
    ann.send_sticker()
    assert "only read text" in (await ann.expect("only read text")).shown_text


async def test_five_thousand_character_message_is_answered(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    ann.send("/start")
    await ann.expect("What would you like to do?")
    ann.send("x" * 5000)
    await ann.expect("Thanks for your message")


async def test_html_looking_name_is_shown_literally(tg: Sandbox) -> None:
    mallory = tg.person("<b>Mal</b> & <i>", last_name="<script>")
    mallory.send("/start")
    greeting = await mallory.expect("Hello")
    assert greeting.shown_text.startswith("Hello <b>Mal</b> & <i>! 👋\n")
    # The only formatting is the course's title in bold; the name's tags are text.
    [bold] = greeting.entities
    units = greeting.shown_text.encode("utf-16-le")
    start, end = 2 * bold["offset"], 2 * (bold["offset"] + bold["length"])
    assert (bold["type"], units[start:end].decode("utf-16-le")) == (
        "bold",
        "The Magic of a Learning Culture",
    )


async def test_group_chat_gets_only_a_pointer_to_a_private_chat(tg: Sandbox) -> None:
    ann = tg.person("Ann")
    group = tg.group()
    ann.send("/start", chat=group)
    pointer = await tg.world.wait_for(
        lambda: next((m for m in tg.world.messages[group.id] if m.from_bot), None)
    )
    assert "private chat" in pointer.shown_text
    assert f"https://t.me/{tg.world.bot.username}" in pointer.shown_text
    assert [m for m in tg.world.messages[group.id] if m.from_bot] == [pointer]
    assert await participants.count(tg.store) == 0


async def test_command_menu_is_set_in_english_and_dutch_at_start(tg: Sandbox) -> None:
    menus = await tg.world.wait_for(lambda: len(tg.world.commands) == 2 and tg.world.commands)
    default = next(v for k, v in menus.items() if '""' in k)
    dutch = next(v for k, v in menus.items() if '"nl"' in k)
    assert [c["command"] for c in default][:3] == ["start", "menu", "course"]
    assert dutch[0]["description"] == "Welkom en menu"
