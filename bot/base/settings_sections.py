"""The sections of the settings, one model per table of settings.toml."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.base.settings_checks import (
    duration,
    known_zone,
    not_a_bool,
    optional_duration,
    representable_time,
    web_address,
)

__all__ = [
    "BotMode",
    "BotSettings",
    "BroadcastSettings",
    "CourseSettings",
    "DatabaseSettings",
    "DigestSettings",
    "FollowupSettings",
    "LoggingSettings",
    "PrivacySettings",
    "ReminderSettings",
    "RoleSettings",
    "SessionSettings",
    "SessionText",
    "WebAddress",
]

# "" (none) or an http(s) address: a javascript: or mailto: link never reaches a button.
WebAddress = Annotated[str, AfterValidator(web_address)]
# A number, never true/false (which pydantic would read as 1 and 0).
Number = BeforeValidator(not_a_bool)
SessionTime = Annotated[AwareDatetime, AfterValidator(representable_time)]
# "7d", "1h", "30m"; an optional one may also be "off" (None).
Duration = Annotated[timedelta, BeforeValidator(duration)]
OptionalDuration = Annotated[timedelta | None, BeforeValidator(optional_duration)]


class BotMode(StrEnum):
    POLLING = "polling"
    WEBHOOK = "webhook"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BotSettings(_Section):
    mode: BotMode = BotMode.POLLING
    webhook_url: WebAddress = ""
    listen: str = "0.0.0.0:8443"
    webhook_secret: SecretStr | None = None

    @field_validator("listen")
    @classmethod
    def _host_and_port(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("must be HOST:PORT (a port from 1 to 65535), e.g. 0.0.0.0:8443")
        return value

    @model_validator(mode="after")
    def _webhook_needs_url(self) -> BotSettings:
        # Telegram posts only to https://; a Bot API server on this machine may use
        # http://127.0.0.1 or http://localhost (as the local sandbox does).
        local = ("http://127.0.0.1", "http://localhost")
        if self.mode is BotMode.WEBHOOK and not self.webhook_url.startswith(("https://", *local)):
            raise ValueError("webhook mode needs webhook_url, an https:// address")
        return self


class DatabaseSettings(_Section):
    # sqlite:///data/mooc-bot.sqlite3 (the default) or postgresql://user@host/db; when
    # empty, `path` (the SQLite file, as before `url` existed) is used.
    url: str = ""
    path: Path = Path("data/mooc-bot.sqlite3")

    @field_validator("url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if value and not value.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError(
                "must be sqlite:///path/to/file.sqlite3 or postgresql://user@host/database"
            )
        return value


class CourseSettings(_Section):
    default_language: str = "en"
    # A folder of content/ each: a two- or three-letter code, like the Telegram app's.
    languages: list[Annotated[str, Field(pattern=r"^[a-z]{2,3}$")]] = Field(
        default_factory=lambda: ["en", "nl"], min_length=1
    )
    drip_interval_hours: Annotated[int, Number, Field(gt=0, le=24 * 365)] = 24
    quiet_hours_start: time = time(21, 0)
    quiet_hours_end: time = time(8, 0)
    max_nudges: Annotated[int, Number, Field(ge=0, le=1000)] = 3

    @model_validator(mode="after")
    def _default_is_offered(self) -> CourseSettings:
        if self.default_language not in self.languages:
            raise ValueError(
                f"default_language {self.default_language!r} is not in languages {self.languages}"
            )
        return self


class SessionText(_Section):
    """`[sessions.translations.nl]`: the title and description in another language."""

    title: str = ""
    description: str = ""


class SessionSettings(_Section):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
    title: Annotated[str, Field(min_length=1)]
    description: str = ""
    translations: dict[Annotated[str, Field(pattern=r"^[a-z]{2,3}$")], SessionText] = {}
    starts_at: SessionTime
    timezone: Annotated[str, AfterValidator(known_zone)] = "Europe/Amsterdam"
    duration_minutes: Annotated[int, Number, Field(gt=0, le=7 * 24 * 60)] = 90
    capacity: Annotated[int, Number, Field(gt=0, le=1_000_000)] | None = None
    join_url: WebAddress = ""
    # "now": the join URL comes with the confirmation; "hour_before": with the last reminder.
    join_url_timing: Literal["now", "hour_before"] = "now"
    registration_closes_at: SessionTime | None = None
    mooc_url: WebAddress = ""
    # The recording or the slides, sent with the thank-you to those who attended.
    recording_url: WebAddress = ""

    def is_open(self, now: datetime) -> bool:
        """Open for registration: not started and the deadline not passed."""
        closes = self.registration_closes_at or self.starts_at
        return now < closes and now < self.starts_at

    @field_validator("registration_closes_at")
    @classmethod
    def _closes_before_start(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        starts = info.data.get("starts_at")
        if value is not None and starts is not None and value > starts:
            raise ValueError(f"is after the session starts ({starts.isoformat()})")
        return value

    def title_in(self, language: str) -> str:
        """The title in `language`, else the default one."""
        return (self.translations.get(language) or SessionText()).title or self.title

    def description_in(self, language: str) -> str:
        return (self.translations.get(language) or SessionText()).description or self.description

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)


class ReminderSettings(_Section):
    offsets: list[timedelta] = Field(
        default_factory=lambda: [timedelta(days=7), timedelta(days=1), timedelta(hours=1)]
    )
    # A registered participant who has not answered the five questions is nudged once,
    # this long before the session.
    nudge_before: Duration = timedelta(days=2)

    @field_validator("offsets", mode="before")
    @classmethod
    def _durations(cls, value: Any) -> Any:
        return [duration(item) for item in value] if isinstance(value, list) else value


class DigestSettings(_Section):
    # Each facilitator gets the pre-session digest this long before every session; "off": never.
    before: OptionalDuration = timedelta(hours=2)


class FollowupSettings(_Section):
    # This long after a session ends, attendees get a thank-you (with the session's
    # recording_url) and registered no-shows a "sorry we missed you"; "off": neither.
    after: OptionalDuration = timedelta(days=1)
    # This long after a session ends, attendees get one more reflection question; "off": none.
    question_after: OptionalDuration = timedelta(days=7)


# A Telegram user id: a positive number that fits in 52 bits, as Telegram promises.
TelegramId = Annotated[int, Number, Field(gt=0, lt=2**52)]


class RoleSettings(_Section):
    organisers: list[TelegramId] = Field(default_factory=list)
    facilitators: list[TelegramId] = Field(default_factory=list)


class BroadcastSettings(_Section):
    # Telegram allows about 30 a second for free; more only makes sense against a
    # self-hosted Bot API server (or the benchmarks' local one).
    rate_per_second: Annotated[float, Number, Field(gt=0, le=1000)] = 25
    # Telegram's paid broadcasts (Stars are charged per message beyond the free rate):
    # up to 1000 messages a second for broadcast messages.
    allow_paid_broadcast: bool = False
    paid_rate_per_second: Annotated[float, Number, Field(gt=0, le=1000)] = 1000

    @property
    def rate(self) -> float:
        return self.paid_rate_per_second if self.allow_paid_broadcast else self.rate_per_second


class PrivacySettings(_Section):
    # Facilitators see "Participant 17" instead of names in /answers, /export and /stats.
    anonymise_answers: bool = False
    # Personal data and answers are deleted this many days after the participant's
    # session ended (`mooc-bot purge`, and daily in the bot); none: kept until /forget.
    delete_after_days: Annotated[int, Number, Field(gt=0, le=3650)] | None = None
    # How an answer may be quoted in the live session until its author chooses:
    # "name", "anonymous" or "private" (for the organisers only).
    quote_default: Literal["name", "anonymous", "private"] = "anonymous"


class LoggingSettings(_Section):
    level: Annotated[str, Field(pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")] = "INFO"
