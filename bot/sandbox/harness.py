"""The local Telegram and the real bot, started together: for the terminal, tests, benchmarks."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from bot.base.clock import Clock
from bot.base.settings import SessionSettings, Settings
from bot.sandbox.limits import Faults, Limits
from bot.sandbox.records import SimChat
from bot.sandbox.server import BotApiServer
from bot.sandbox.users import Person
from bot.sandbox.world import World
from bot.shell.app import build_application
from bot.shell.context import BotApp
from bot.shell.lifecycle import running
from store import participants
from store.db import Store

__all__ = ["SANDBOX_TOKEN", "Sandbox", "known", "sandbox_settings"]

# Not a secret: it only opens the local server, which listens on 127.0.0.1.
SANDBOX_TOKEN = "123456789:SANDBOX-local-only"


async def known(store: Store, people: list[Person], now: datetime) -> None:
    """These people have written to the bot before (participants in the store, English):
    a crowd for benchmarks and crash tests without walking each one through /start."""
    for person in people:
        await participants.seen(
            store,
            telegram_id=person.user.id,
            chat_id=person.user.id,
            first_name=person.user.first_name,
            last_name=None,
            username=None,
            language="en",
            now=now,
        )


def demo_session(now: datetime) -> SessionSettings:
    """A session a week ahead at 16:00 Amsterdam time, so the whole journey can be tried."""
    zone = ZoneInfo("Europe/Amsterdam")
    day = (now + timedelta(days=7)).astimezone(zone)
    starts = day.replace(hour=16, minute=0, second=0, microsecond=0)
    return SessionSettings(
        id="sandbox-week",
        title="Try-out session (a week from now)",
        description="A session that only exists in the sandbox, to try registration.",
        starts_at=starts,
        timezone=zone.key,
        duration_minutes=90,
        capacity=3,
        join_url="https://meet.example.org/sandbox",
        registration_closes_at=starts - timedelta(hours=2),
        mooc_url="https://mooc.example.org/the-magic-of-a-learning-culture",
    )


def sandbox_settings(
    settings: Settings,
    api_url: str,
    database: Path | str,
    organisers: tuple[int, ...] = (),
    sessions: tuple[SessionSettings, ...] = (),
    facilitators: tuple[int, ...] = (),
) -> Settings:
    """The settings with the sandbox's token, server and own database
    (a SQLite file, or a database URL such as postgresql://…)."""
    roles = settings.roles.model_copy(
        update={
            "organisers": [*settings.roles.organisers, *organisers],
            "facilitators": [*settings.roles.facilitators, *facilitators],
        }
    )
    return settings.model_copy(
        update={
            "token": SecretStr(SANDBOX_TOKEN),
            "api_url": api_url,
            "db": str(database),
            "roles": roles,
            "sessions": [*sessions, *settings.sessions],
        }
    )


class Sandbox:
    """`async with Sandbox(settings, db) as tg:` – a local Telegram with the bot polling it."""

    def __init__(
        self,
        settings: Settings,
        database: Path | str,
        *,
        limits: Limits | None = None,
        faults: Faults | None = None,
        clock: Clock | None = None,
        organisers: tuple[int, ...] = (),
        facilitators: tuple[int, ...] = (),
        poll_timeout: float = 5,
        rate_limited: bool = True,
        with_demo_session: bool = False,
        sessions: tuple[SessionSettings, ...] = (),
    ) -> None:
        self.server = BotApiServer(SANDBOX_TOKEN, limits=limits, faults=faults)
        self._base_settings = settings
        self._database = database
        self._clock = clock
        self._organisers = organisers
        self._facilitators = facilitators
        self._poll_timeout = poll_timeout
        self._rate_limited = rate_limited
        now = clock.now() if clock is not None else datetime.now(UTC)
        demo = (demo_session(now),) if with_demo_session else ()
        self._extra_sessions = (*demo, *sessions)  # the first is the one to register for
        self._stack = AsyncExitStack()
        self._bot_stack = AsyncExitStack()
        self.app: BotApp | None = None

    @property
    def world(self) -> World:
        return self.server.world

    @property
    def settings(self) -> Settings:
        return sandbox_settings(
            self._base_settings,
            self.server.url,
            self._database,
            self._organisers,
            self._extra_sessions,
            self._facilitators,
        )

    @property
    def store(self) -> Store:
        assert self.app is not None, "the bot is not running"
        return self.app.bot_data.services.store

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
            Store(settings.database_url),
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

    def use_settings(self, settings: Settings) -> None:
        """Settings for the next start_bot(), e.g. an organiser moved the session."""
        self._base_settings = settings

    async def stop_bot(self) -> None:
        await self._bot_stack.aclose()
        self.app = None

    async def settle(self) -> None:
        """Wait until every update taken is handled and its replies are recorded as sent."""
        assert self.app is not None, "the bot is not running"
        await self.app.bot_data.inbox.drain()

    async def dispatch(self) -> int:
        """Run the outbox dispatcher now (after a test moved the injected clock)."""
        assert self.app is not None, "the bot is not running"
        # Updates in hand first: their replies are theirs to send, not the dispatcher's.
        await self.settle()
        sent = await self.app.bot_data.services.dispatcher.run_due()
        await self.app.bot_data.services.broadcasts.tick()
        return sent

    def person(self, first_name: str, **details: Any) -> Person:
        return Person.create(self.world, first_name, **details)

    def group(self, title: str = "Learning culture fans") -> SimChat:
        return self.world.add_group(title)
