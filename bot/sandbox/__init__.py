"""The local Telegram: a Bot API server on 127.0.0.1, its user side and a terminal chat."""

from bot.sandbox.limits import Faults, Limits
from bot.sandbox.records import SimMessage
from bot.sandbox.server import BotApiServer
from bot.sandbox.users import Person
from bot.sandbox.world import World

__all__ = ["BotApiServer", "Faults", "Limits", "Person", "SimMessage", "World"]
