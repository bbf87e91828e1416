"""The local Telegram and the real bot, started together: for the terminal, tests, benchmarks."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.app import build_application, running
from bot.clock import Clock
from bot.context import BotApp
from bot.sandbox.limits import Faults, Limits
from bot.sandbox.server import BotApiServer
from bot.sandbox.users import Person
from bot.sandbox.world import SimChat, World
from bot.settings import Settings
from store.db import Store

__all__ = ["SANDBOX_TOKEN", "Sandbox", "sandbox_settings"]

# Not a secret: it only opens the local server, which listens on 127.0.0.1.
SANDBOX_TOKEN = "123456789:SANDBOX-local-only"


def sandbox_settings(
    settings: Settings, api_url: str, database: Path, organisers: tuple[int, ...] = ()
) -> Settings:
    """The settings with the sandbox's token, server and own database."""
    roles = settings.roles.model_copy(
        update={"organisers": [*settings.roles.organisers, *organisers]}
    )
    return settings.model_copy(
        update={
            "token": SecretStr(SANDBOX_TOKEN),
            "api_url": api_url,
            "db": database,
            "roles": roles,
        }
    )


class Sandbox:
    """`async with Sandbox(settings, db) as tg:` – a local Telegram with the bot polling it."""

    def __init__(
        self,
        settings: Settings,
        database: Path,
        *,
        limits: Limits | None = None,
        faults: Faults | None = None,
        clock: Clock | None = None,
        organisers: tuple[int, ...] = (),
        poll_timeout: float = 5,
        rate_limited: bool = True,
    ) -> None:
        self.server = BotApiServer(SANDBOX_TOKEN, limits=limits, faults=faults)
        self._base_settings = settings
        self._database = database
        self._clock = clock
        self._organisers = organisers
        self._poll_timeout = poll_timeout
        self._rate_limited = rate_limited
        self._stack = AsyncExitStack()
        self._bot_stack = AsyncExitStack()
        self.app: BotApp | None = None

    @property
    def world(self) -> World:
        return self.server.world

    @property
    def settings(self) -> Settings:
        return sandbox_settings(
            self._base_settings, self.server.url, self._database, self._organisers
        )

    @property
    def store(self) -> Store:
        assert self.app is not None, "the bot is not running"
        return self.app.bot_data.store

    async def __aenter__(self) -> Sandbox:
        await self._stack.enter_async_context(self.server)
        await self.start_bot()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self._stack.aclose()

    async def start_bot(self) -> BotApp:
        """Start (or start again) the bot process's Application against the same database."""
        settings = self.settings
        application = build_application(
            settings,
            Store(settings.database_path),
            clock=self._clock,
            rate_limited=self._rate_limited,
        )
        self._bot_stack = AsyncExitStack()
        await self._bot_stack.enter_async_context(
            running(application, poll_timeout=self._poll_timeout)
        )
        self._stack.push_async_callback(self._bot_stack.aclose)
        self.app = application
        return application

    async def stop_bot(self) -> None:
        await self._bot_stack.aclose()
        self.app = None

    async def dispatch(self) -> int:
        """Run the outbox dispatcher now (after a test moved the injected clock)."""
        assert self.app is not None, "the bot is not running"
        return await self.app.bot_data.dispatcher.run_due()

    def person(self, first_name: str, **details: Any) -> Person:
        return Person.create(self.world, first_name, **details)

    def group(self, title: str = "Learning culture fans") -> SimChat:
        return self.world.add_group(title)
