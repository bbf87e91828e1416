"""Settings: one typed object built from settings.toml, the environment and .env.

Secrets (the bot token, the webhook secret) come only from the environment or a
`.env` file; a token written in settings.toml is refused. Build the settings once,
in `main()`, with `load_settings()`, and pass them on.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, ClassVar
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from pydantic_settings import SettingsError as SourceError

from bot.base.settings_checks import ENV_PREFIX
from bot.base.settings_errors import SettingsError, describe, toml_line, unreadable_variable
from bot.base.settings_sections import (
    BotMode,
    BotSettings,
    BroadcastSettings,
    CourseSettings,
    DatabaseSettings,
    DigestSettings,
    FollowupSettings,
    LoggingSettings,
    PrivacySettings,
    ReminderSettings,
    RoleSettings,
    SessionSettings,
    SessionText,
    WebAddress,
)
from flows.content import CONTENT_DIR
from flows.strings import read_problem
from store.link import Target, has_password

# The sections (bot/base/settings_sections.py) and the error are part of what
# `Settings` is and what `load_settings` raises, so they are named from here too.
__all__ = [
    "DEFAULT_API_URL",
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
    "Settings",
    "SettingsError",
    "load_settings",
    "settings_path",
]

DEFAULT_API_URL = "https://api.telegram.org"
_SECRET_KEYS = {"token", "bot_token", "webhook_secret"}


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
    db: str | None = None  # a path or a database URL
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
        found = []
        if not self.sessions:
            found.append(
                f"{self.settings or 'settings'}: warning: no session is configured, "
                "so nobody can register (add a [[sessions]] table)"
            )
        if self.unshared_webhook is not None:
            found.append(f"{self.unshared_webhook} (`mooc-bot run` refuses to start)")
        return found

    @property
    def unshared_webhook(self) -> str | None:
        """Why `mooc-bot run` must not start in webhook mode on PostgreSQL: each process
        would make a webhook secret of its own, and Telegram keeps the last one set.
        Other commands (logins, purge …) do not need the secret."""
        shared = Target.of(self.database_url).dialect == "postgresql"
        if shared and self.bot.mode is BotMode.WEBHOOK and self.bot.webhook_secret is None:
            return (
                f"{ENV_PREFIX}BOT__WEBHOOK_SECRET: webhook mode on PostgreSQL needs one "
                "secret shared by every process; set it in the environment"
            )
        return None

    @property
    def database_url(self) -> str:
        """The database: MOOC_BOT_DB when set, else [database] url, else [database] path
        (a URL, or the path of a SQLite file; what `Store` opens)."""
        if self.db:
            return self.db
        return self.database.url or str(self.database.path)

    @property
    def database_path(self) -> Path | None:
        """The SQLite file, when the database is one (None for PostgreSQL, in memory)."""
        return Target.of(self.database_url).path

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
        url = self.toml_data.get("database", {}).get("url", "")
        if isinstance(url, str) and has_password(url):
            raise SettingsError(
                [
                    f"{where('database.url')}: a password must not be written in the settings "
                    f"file; set {ENV_PREFIX}DATABASE__URL in the environment, or PGPASSWORD, "
                    "or use ~/.pgpass"
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
