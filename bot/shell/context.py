"""The Telegram side of the application: PTB's bot_data and the context handlers receive.

The services themselves (bot.services.container.Services) know nothing of Telegram;
`BotData` holds them with what only the shell has: the inbox and the flows' hooks,
which take a Telegram update.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.base.clock import Clock
from bot.base.settings import Settings
from bot.services.broadcast import Broadcasts
from bot.services.container import Services
from bot.services.digest import Digests
from bot.services.dispatcher import Dispatcher
from bot.services.drip import Drips
from bot.services.followup import FollowUps
from bot.services.registration import Desk
from bot.services.reminders import Reminders
from bot.shell.inbox import Inbox
from flows.content import Content, Strings
from flows.model import FlowKind, FlowState, Press
from flows.replies import Out
from store.db import Store
from store.participants import Participant

__all__ = [
    "BotApp",
    "BotContext",
    "BotData",
    "FlowAction",
    "FlowGuard",
    "FlowHook",
    "FlowPreview",
    "FlowView",
]

FlowHook = Callable[[Update, "BotContext", FlowState], Awaitable[list[Out]]]
FlowGuard = Callable[[Update, "BotContext", Press], Awaitable[bool]]
FlowPreview = Callable[["BotContext", FlowState, FlowState], Awaitable[list[Out]]]
FlowAction = Callable[[Update, "BotContext", FlowState, str], Awaitable[list[Out]]]
FlowView = Callable[["BotContext", Sequence[Out]], Awaitable[list[Out]]]


class BotData:
    """PTB's bot_data: the services, the inbox and the flows' hooks (`build_application`
    fills them in). Each service is also reachable here by its own name."""

    services: Services
    inbox: Inbox
    # Per flow kind: what a Confirm does, the step into DONE (e.g. registering) …
    flow_hooks: dict[FlowKind, FlowHook]
    # … and a check before a button is applied (e.g. edits closed after a deadline) …
    flow_guards: dict[FlowKind, FlowGuard]
    # … and what to show before a step's own replies (e.g. a broadcast's preview).
    flow_previews: dict[FlowKind, FlowPreview]
    # … and what a review action does (e.g. a broadcast sent to its author first) …
    flow_actions: dict[FlowKind, FlowAction]
    # … and how the engine's replies are shown (e.g. a broadcast's audiences with counts).
    flow_views: dict[FlowKind, FlowView]

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def store(self) -> Store:
        return self.services.store

    @property
    def content(self) -> Content:
        return self.services.content

    @property
    def clock(self) -> Clock:
        return self.services.clock

    @property
    def dispatcher(self) -> Dispatcher:
        return self.services.dispatcher

    @property
    def desk(self) -> Desk:
        return self.services.desk

    @property
    def reminders(self) -> Reminders:
        return self.services.reminders

    @property
    def followups(self) -> FollowUps:
        return self.services.followups

    @property
    def drips(self) -> Drips:
        return self.services.drips

    @property
    def digests(self) -> Digests:
        return self.services.digests

    @property
    def broadcasts(self) -> Broadcasts:
        return self.services.broadcasts


class BotContext(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], BotData]):
    """The context handlers receive; `participant` is set before any handler runs."""

    participant: Participant | None = None
    participant_is_new: bool = False
    query_answered: bool = False  # a button press is answered once, by the first reply

    @property
    def services(self) -> Services:
        return self.bot_data.services

    @property
    def store(self) -> Store:
        return self.bot_data.services.store

    @property
    def settings(self) -> Settings:
        return self.bot_data.services.settings

    @property
    def clock(self) -> Clock:
        return self.bot_data.services.clock

    @property
    def content(self) -> Content:
        return self.bot_data.services.content

    @property
    def desk(self) -> Desk:
        return self.bot_data.services.desk

    @property
    def strings(self) -> Strings:
        language = self.participant.language if self.participant else None
        return self.bot_data.services.content.strings(language)


BotApp = Application[ExtBot[Any], BotContext, dict[Any, Any], dict[Any, Any], BotData, Any]
