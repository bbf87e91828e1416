"""What every handler can reach, typed: settings, store, content, clock, the participant."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.base.clock import Clock
from bot.base.settings import Settings
from bot.services.broadcast import Broadcasts
from bot.services.digest import Digests
from bot.services.dispatcher import Dispatcher
from bot.services.drip import Drips
from bot.services.followup import FollowUps
from bot.services.registration import Desk
from bot.services.reminders import Reminders
from flows.content import Content, Strings
from flows.engine import FlowState, Press
from flows.replies import Out
from store.db import Store
from store.participants import Participant

if TYPE_CHECKING:
    from bot.shell.inbox import Inbox

__all__ = ["BotApp", "BotContext", "BotData", "FlowAction", "FlowGuard", "FlowHook", "FlowView"]


class BotData:
    """The application's shared objects; `build_application` fills them in."""

    settings: Settings
    store: Store
    content: Content
    clock: Clock
    dispatcher: Dispatcher
    drips: Drips
    desk: Desk
    reminders: Reminders
    digests: Digests
    followups: FollowUps
    # Per flow id: what happens after a step (e.g. registering on Confirm) …
    flow_hooks: dict[str, FlowHook]
    # … and a check before a button is applied (e.g. edits closed after a deadline) …
    flow_guards: dict[str, FlowGuard]
    # … and what to show before a step's own replies (e.g. a broadcast's preview).
    flow_previews: dict[str, FlowPreview]
    # … and what a review action does (e.g. a broadcast sent to its author first) …
    flow_actions: dict[str, FlowAction]
    # … and how the engine's replies are shown (e.g. a broadcast's audiences with counts).
    flow_views: dict[str, FlowView]
    broadcasts: Broadcasts
    inbox: Inbox


FlowHook = Callable[[Update, "BotContext", FlowState, FlowState], Awaitable[list[Out]]]
FlowGuard = Callable[[Update, "BotContext", Press], Awaitable[bool]]
FlowPreview = Callable[["BotContext", FlowState, FlowState], Awaitable[list[Out]]]
FlowAction = Callable[[Update, "BotContext", FlowState, str], Awaitable[list[Out]]]
FlowView = Callable[["BotContext", Sequence[Out]], Awaitable[list[Out]]]


class BotContext(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], BotData]):
    """The context handlers receive; `participant` is set before any handler runs."""

    participant: Participant | None = None
    participant_is_new: bool = False
    query_answered: bool = False  # a button press is answered once, by the first reply

    @property
    def store(self) -> Store:
        return self.bot_data.store

    @property
    def settings(self) -> Settings:
        return self.bot_data.settings

    @property
    def clock(self) -> Clock:
        return self.bot_data.clock

    @property
    def strings(self) -> Strings:
        language = self.participant.language if self.participant else None
        return self.bot_data.content.strings(language)


BotApp = Application[ExtBot[Any], BotContext, dict[Any, Any], dict[Any, Any], BotData, Any]
