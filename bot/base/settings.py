"""Settings: one typed object built from settings.toml, the environment and .env.

Secrets (the bot token, the webhook secret) come only from the environment or a
`.env` file; a token written in settings.toml is refused. Build the settings once,
in `main()`, with `load_settings()`, and pass them on.
"""

from __future__ import annotations

import os
import tomllib
from datetime import datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from pydantic_settings import SettingsError as SourceError

from bot.base.settings_checks import (
    ENV_PREFIX,
    describe,
    duration,
    known_zone,
    not_a_bool,
    optional_duration,
    representable_time,
    toml_line,
    unreadable_variable,
    web_address,
)
from flows.content import CONTENT_DIR
from flows.strings import read_problem

__all__ = [
    "DEFAULT_API_URL",
    "BotMode",
    "SessionSettings",
    "SessionText",
    "Settings",
    "SettingsError",
    "load_settings",
    "settings_path",
]

DEFAULT_API_URL = "https://api.telegram.org"
_SECRET_KEYS = {"token", "bot_token", "webhook_secret"}
# "" (none) or an http(s) address: a javascript: or mailto: link never reaches a button.
WebAddress = Annotated[str, AfterValidator(web_address)]
# A number, never true/false (which pydantic would read as 1 and 0).
Number = BeforeValidator(not_a_bool)
SessionTime = Annotated[AwareDatetime, AfterValidator(representable_time)]


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
    path: Path = Path("data/mooc-bot.sqlite3")


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
    nudge_before: timedelta = timedelta(days=2)

    @field_validator("offsets", mode="before")
    @classmethod
    def _durations(cls, value: Any) -> Any:
        return [duration(item) for item in value] if isinstance(value, list) else value

    @field_validator("nudge_before", mode="before")
    @classmethod
    def _one_duration(cls, value: Any) -> Any:
        return duration(value)


class DigestSettings(_Section):
    # Each facilitator gets the pre-session digest this long before every session; "off": never.
    before: timedelta | None = timedelta(hours=2)

    @field_validator("before", mode="before")
    @classmethod
    def _one_duration(cls, value: Any) -> Any:
        return optional_duration(value)


class FollowupSettings(_Section):
    # This long after a session ends, attendees get a thank-you (with the session's
    # recording_url) and registered no-shows a "sorry we missed you"; "off": neither.
    after: timedelta | None = timedelta(days=1)
    # This long after a session ends, attendees get one more reflection question; "off": none.
    question_after: timedelta | None = timedelta(days=7)

    @field_validator("after", "question_after", mode="before")
    @classmethod
    def _durations(cls, value: Any) -> Any:
        return optional_duration(value)


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
    api_url: Annotated[WebAddress, Field(min_length=1)] = DEFAULT_API_URL
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

    @field_validator("sessions")
    @classmethod
    def _unique_ids(cls, sessions: list[SessionSettings]) -> list[SessionSettings]:
        first: dict[str, int] = {}
        for number, session in enumerate(sessions):
            if session.id in first:
                raise ValueError(
                    f"id {session.id!r} is used by sessions[{first[session.id]}] and "
                    f"sessions[{number}]; each session needs its own"
                )
            first[session.id] = number
        return sessions

    @property
    def warnings(self) -> list[str]:
        """What works but is probably not meant: shown by check-config, logged by run."""
        if self.sessions:
            return []
        return [
            f"{self.settings or 'settings'}: warning: no session is configured, "
            "so nobody can register (add a [[sessions]] table)"
        ]

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
        text = path.read_text(encoding="utf-8")  # load_settings has read it once already

        def where(key: str) -> str:
            return f"{path}:{toml_line(text, key.split('.')) or 1}: {key}"

        found = sorted(_secret_keys(self.toml_data))
        if found:
            raise SettingsError(
                [
                    f"{where(key)}: secrets must not be written in the settings file; "
                    f"set {ENV_PREFIX}TOKEN (or the matching variable) in the environment instead"
                    for key in found
                ]
            )
        for key in ("db", "content", "settings", "api_url"):
            if key in self.toml_data:
                raise SettingsError(
                    [f"{where(key)}: set {ENV_PREFIX}{key.upper()} in the environment instead"]
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
    text = ""
    try:
        text = path.read_bytes().decode("utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
        raise SettingsError([read_problem(path, exc, text)]) from None

    class _FromFile(Settings):
        toml_path = path

    try:
        settings = _FromFile(settings=path)
    except ValidationError as exc:
        raise SettingsError([describe(e, path, text, data) for e in exc.errors()]) from None
    except SourceError as exc:  # a variable (or .env line) that is not the JSON it must be
        raise SettingsError([unreadable_variable(exc, Settings)]) from None
    if settings.token is not None and not settings.has_token:
        # Unset means the sandbox; set but empty is a mistake (a template's `TOKEN=`).
        raise SettingsError([f"{ENV_PREFIX}TOKEN is set but empty"])
    return settings
