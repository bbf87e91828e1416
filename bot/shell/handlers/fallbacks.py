"""The answers to what the bot cannot use: a stale or forged button, an unknown command."""

from __future__ import annotations

from telegram import Update

from bot.shell.context import BotContext
from bot.shell.handlers.common import respond
from flows.menu import main_menu
from flows.replies import ClearButtons, Reply

__all__ = ["stale_button", "unknown_command"]


async def stale_button(update: Update, context: BotContext) -> None:
    """A button from an old message (or forged data): says so and shows the menu."""
    stale = ClearButtons(stale=context.strings.plain("errors.stale_button"))
    await respond(update, context, [stale, main_menu(context.strings)])


async def unknown_command(update: Update, context: BotContext) -> None:
    """Answers a command the bot does not know with a pointer to /help."""
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    words = message.text.split()
    command = words[0].split("@")[0] if words else "/"
    await respond(
        update, context, [Reply(context.strings("errors.unknown_command", command=command))]
    )
