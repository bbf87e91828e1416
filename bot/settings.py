"""Settings: one typed object built from settings.toml, the environment and .env.

Secrets (the bot token, the webhook secret) come only from the environment or a
`.env` file; a token written in settings.toml is refused. Build the settings once,
in `main()`, with `load_settings()`, and pass them on.
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from flows.content import CONTENT_DIR

__all__ = [
    "DEFAULT_API_URL",
    "BotMode",
    "Settings",
    "SettingsError",
    "load_settings",
    "settings_path",
]

DEFAULT_API_URL = "https://api.telegram.org"
ENV_PREFIX = "MOOC_BOT_"
_SECRET_KEYS = {"token", "bot_token", "webhook_secret"}
_DURATION = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


class SettingsError(Exception):
    """A settings problem, already phrased as lines a person can act on."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


class BotMode(StrEnum):
    POLLING = "polling"
    WEBHOOK = "webhook"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BotSettings(_Section):
    mode: BotMode = BotMode.POLLING
    webhook_url: str = ""
    listen: str = "0.0.0.0:8443"
    webhook_secret: SecretStr | None = None

    @field_validator("listen")
    @classmethod
    def _host_and_port(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError("must be HOST:PORT, e.g. 0.0.0.0:8443")
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
    path: Path = Path("data/mooc-bot.sqlite3")


class CourseSettings(_Section):
    default_language: str = "en"
    languages: list[str] = Field(default_factory=lambda: ["en", "nl"], min_length=1)
    drip_interval_hours: PositiveInt = 24
    quiet_hours_start: time = time(21, 0)
    quiet_hours_end: time = time(8, 0)
    max_nudges: Annotated[int, Field(ge=0)] = 3

    @model_validator(mode="after")
    def _default_is_offered(self) -> CourseSettings:
        if self.default_language not in self.languages:
            raise ValueError(
                f"default_language {self.default_language!r} is not in languages {self.languages}"
            )
        return self


class SessionSettings(_Section):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
    title: Annotated[str, Field(min_length=1)]
    description: str = ""
    starts_at: AwareDatetime
    timezone: str = "Europe/Amsterdam"
    duration_minutes: PositiveInt = 90
    capacity: PositiveInt | None = None
    join_url: str = ""
    # "now": the join URL comes with the confirmation; "hour_before": with the last reminder.
    join_url_timing: Literal["now", "hour_before"] = "now"
    registration_closes_at: AwareDatetime | None = None
    mooc_url: str = ""
    # The recording or the slides, sent with the thank-you to those who attended.
    recording_url: str = ""

    def is_open(self, now: datetime) -> bool:
        """Open for registration: not started and the deadline not passed."""
        closes = self.registration_closes_at or self.starts_at
        return now < closes and now < self.starts_at

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r} (use a name like Europe/Amsterdam)"
            ) from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)


def _duration(item: Any) -> Any:
    if not isinstance(item, str):
        return item
    match = _DURATION.match(item)
    if not match:
        raise ValueError(f"{item!r} is not a duration like 7d, 1h or 30m")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


class ReminderSettings(_Section):
    offsets: list[timedelta] = Field(
        default_factory=lambda: [timedelta(days=7), timedelta(days=1), timedelta(hours=1)]
    )
    # A registered participant who has not answered the five questions is nudged once,
    # this long before the session.
    nudge_before: timedelta = timedelta(days=2)

    @field_validator("offsets", mode="before")
    @classmethod
    def _durations(cls, value: Any) -> Any:
        return [_duration(item) for item in value] if isinstance(value, list) else value

    @field_validator("nudge_before", mode="before")
    @classmethod
    def _one_duration(cls, value: Any) -> Any:
        return _duration(value)


def _optional_duration(value: Any) -> Any:
    if value in ("off", "", None):
        return None
    try:
        return _duration(value)
    except ValueError:
        raise ValueError(f'{value!r} is not a duration like 7d, 1h or 30m, or "off"') from None


class DigestSettings(_Section):
    # Each facilitator gets the pre-session digest this long before every session; "off": never.
    before: timedelta | None = timedelta(hours=2)

    @field_validator("before", mode="before")
    @classmethod
    def _one_duration(cls, value: Any) -> Any:
        return _optional_duration(value)


class FollowupSettings(_Section):
    # This long after a session ends, attendees get a thank-you (with the session's
    # recording_url) and registered no-shows a "sorry we missed you"; "off": neither.
    after: timedelta | None = timedelta(days=1)
    # This long after a session ends, attendees get one more reflection question; "off": none.
    question_after: timedelta | None = timedelta(days=7)

    @field_validator("after", "question_after", mode="before")
    @classmethod
    def _durations(cls, value: Any) -> Any:
        return _optional_duration(value)


class RoleSettings(_Section):
    organisers: list[int] = Field(default_factory=list)
    facilitators: list[int] = Field(default_factory=list)


class BroadcastSettings(_Section):
    # Telegram allows about 30 a second for free; more only makes sense against a
    # self-hosted Bot API server (or the benchmarks' local one).
    rate_per_second: Annotated[float, Field(gt=0, le=1000)] = 25
    # Telegram's paid broadcasts (Stars are charged per message beyond the free rate):
    # up to 1000 messages a second for broadcast messages.
    allow_paid_broadcast: bool = False
    paid_rate_per_second: Annotated[float, Field(gt=0, le=1000)] = 1000

    @property
    def rate(self) -> float:
        return self.paid_rate_per_second if self.allow_paid_broadcast else self.rate_per_second


class PrivacySettings(_Section):
    # Facilitators see "Participant 17" instead of names in /answers, /export and /stats.
    anonymise_answers: bool = False
    # Personal data and answers are deleted this many days after the participant's
    # session ended (`mooc-bot purge`, and daily in the bot); none: kept until /forget.
    delete_after_days: PositiveInt | None = None
    # How an answer may be quoted in the live session until its author chooses:
    # "name", "anonymous" or "private" (for the organisers only).
    quote_default: Literal["name", "anonymous", "private"] = "anonymous"


class LoggingSettings(_Section):
    level: Annotated[str, Field(pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")] = "INFO"


class Settings(BaseSettings):
    """Everything the bot is configured with; sections mirror settings.toml."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        env_file=".env",
        extra="forbid",
        frozen=True,
    )
    toml_path: ClassVar[Path | None] = None

    token: SecretStr | None = None
    api_url: str = DEFAULT_API_URL
    db: Path | None = None
    content: Path | None = None
    settings: Path | None = None

    bot: BotSettings = BotSettings()
    database: DatabaseSettings = DatabaseSettings()
    course: CourseSettings = CourseSettings()
    sessions: list[SessionSettings] = Field(default_factory=list)
    reminders: ReminderSettings = ReminderSettings()
    digest: DigestSettings = DigestSettings()
    followup: FollowupSettings = FollowupSettings()
    roles: RoleSettings = RoleSettings()
    broadcast: BroadcastSettings = BroadcastSettings()
    privacy: PrivacySettings = PrivacySettings()
    logging: LoggingSettings = LoggingSettings()

    @model_validator(mode="after")
    def _checks(self) -> Settings:
        ids = [s.id for s in self.sessions]
        if len(ids) != len(set(ids)):
            raise ValueError(f"session ids must be unique, got {ids}")
        if not self.api_url.startswith(("http://", "https://")):
            raise ValueError("MOOC_BOT_API_URL must start with http:// or https://")
        return self

    @property
    def database_path(self) -> Path:
        """The database file: MOOC_BOT_DB when set, else [database] path."""
        return self.db if self.db is not None else self.database.path

    @property
    def zone(self) -> ZoneInfo:
        """The time zone for drips and quiet hours: the first session's, else Amsterdam."""
        return self.sessions[0].zone if self.sessions else ZoneInfo("Europe/Amsterdam")

    @property
    def content_dir(self) -> Path:
        """The content folder: MOOC_BOT_CONTENT when set, else the shipped content/."""
        return self.content if self.content is not None else CONTENT_DIR

    @property
    def has_token(self) -> bool:
        return self.token is not None and bool(self.token.get_secret_value().strip())

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings, dotenv_settings]
        if cls.toml_path is not None:
            sources.append(_SecretFreeToml(settings_cls, cls.toml_path))
        return tuple(sources)


class _SecretFreeToml(TomlConfigSettingsSource):
    """The TOML source, refusing secrets and keys that only the environment may set."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path) -> None:
        super().__init__(settings_cls, toml_file=path)
        found = sorted(_secret_keys(self.toml_data))
        if found:
            raise SettingsError(
                [
                    f"{path}: {key}: secrets must not be written in the settings file; "
                    f"set {ENV_PREFIX}TOKEN (or the matching variable) in the environment instead"
                    for key in found
                ]
            )
        for key in ("db", "content", "settings", "api_url"):
            if key in self.toml_data:
                raise SettingsError(
                    [f"{path}: {key}: set {ENV_PREFIX}{key.upper()} in the environment instead"]
                )


def _secret_keys(data: dict[str, Any], prefix: str = "") -> set[str]:
    found: set[str] = set()
    for key, value in data.items():
        if key in _SECRET_KEYS:
            found.add(prefix + key)
        if isinstance(value, dict):
            found |= _secret_keys(value, f"{prefix}{key}.")
    return found


def settings_path(explicit: Path | None = None) -> Path:
    """The settings file to read: the argument, else MOOC_BOT_SETTINGS, else ./settings.toml."""
    if explicit is not None:
        return explicit
    return Path(os.environ.get(f"{ENV_PREFIX}SETTINGS", "settings.toml"))


def load_settings(path: Path | None = None) -> Settings:
    """Read and check the settings; raise SettingsError with one line per problem."""
    path = settings_path(path)
    if not path.is_file():
        raise SettingsError([f"{path}: settings file not found"])
    try:
        with path.open("rb") as handle:
            tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError([f"{path}: not valid TOML: {exc}"]) from exc
    except OSError as exc:
        raise SettingsError([f"{path}: cannot be read: {exc.strerror}"]) from exc

    class _FromFile(Settings):
        toml_path = path

    try:
        return _FromFile(settings=path)
    except ValidationError as exc:
        raise SettingsError([f"{path}: {_describe(error)}" for error in exc.errors()]) from None


def _describe(error: Any) -> str:
    location = _location(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        what = "unknown setting"
    elif kind == "timezone_aware":
        what = "needs a time zone offset, e.g. 2027-01-21T16:00:00+01:00"
    elif kind == "missing":
        what = "is required"
    else:
        what = str(error["msg"]).removeprefix("Value error, ")
        if "input" in error and not isinstance(error["input"], dict | list):
            what += f" (got {error['input']!r})"
    return f"{location}: {what}" if location else what


def _location(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text
