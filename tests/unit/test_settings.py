"""Settings: the shipped file loads; every mistake stops the bot with one clear line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.base.settings import BotMode, SettingsError, load_settings
from tests.conftest import ROOT

SHIPPED = (ROOT / "settings.toml").read_text()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text)
    return path


def line_of(text: str, start: str) -> int:
    """The number of the first line of `text` that starts with `start`."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith(start))


def problems(path: Path) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    return caught.value.lines


def test_shipped_settings_load_with_a_future_session() -> None:
    settings = load_settings(ROOT / "settings.toml")
    assert settings.bot.mode is BotMode.POLLING
    assert settings.sessions[0].starts_at.utcoffset() is not None
    assert settings.reminders.offsets == [timedelta(days=7), timedelta(days=1), timedelta(hours=1)]
    assert settings.token is None


def test_unknown_key_is_named_with_file_and_section(tmp_path: Path) -> None:
    path = write(tmp_path, SHIPPED.replace("[course]", "[course]\ncolour = 'blue'"))
    line = line_of(path.read_text(), "colour")
    assert problems(path) == [f"{path}:{line}: course.colour: unknown setting"]


def test_wrong_type_is_named(tmp_path: Path) -> None:
    path = write(
        tmp_path, SHIPPED.replace("drip_interval_hours = 24", 'drip_interval_hours = "daily"')
    )
    [line] = problems(path)
    number = line_of(SHIPPED, "drip_interval_hours")
    assert line.startswith(f"{path}:{number}: course.drip_interval_hours:")
    assert "'daily'" in line


def test_session_time_without_time_zone_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, SHIPPED.replace("2027-01-21T16:00:00+01:00", "2027-01-21T16:00:00"))
    [line] = problems(path)
    number = line_of(SHIPPED, "starts_at")
    assert line == (
        f"{path}:{number}: sessions[0].starts_at: "
        "needs a time zone offset, e.g. 2027-01-21T16:00:00+01:00"
    )


def test_capacity_zero_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, SHIPPED.replace("capacity = 100", "capacity = 0"))
    [line] = problems(path)
    number = line_of(SHIPPED, "capacity")
    assert line.startswith(f"{path}:{number}: sessions[0].capacity: Input should be greater than 0")


def test_broken_toml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, SHIPPED.replace('mode = "polling"', 'mode = "polling'))
    [line] = problems(path)
    number = line_of(SHIPPED, 'mode = "polling"')
    assert line == f"{path}:{number}: not valid TOML: Illegal character '\\n' (column 16)"


def test_missing_file_is_named(tmp_path: Path) -> None:
    assert problems(tmp_path / "nope.toml") == [
        f"{tmp_path / 'nope.toml'}: settings file not found"
    ]


@pytest.mark.parametrize("where", ["top", "bot"])
def test_token_written_in_the_file_is_refused(tmp_path: Path, where: str) -> None:
    secret = "123456:AAAbbbCCC"
    text = (
        f'token = "{secret}"\n{SHIPPED}'
        if where == "top"
        else SHIPPED.replace("[bot]\n", f'[bot]\ntoken = "{secret}"\n')
    )
    [line] = problems(write(tmp_path, text))
    assert "secrets must not be written in the settings file" in line
    assert "MOOC_BOT_TOKEN" in line
    assert secret not in line


def test_unknown_time_zone_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, SHIPPED.replace('"Europe/Amsterdam"', '"Mars/Olympus"'))
    [line] = problems(path)
    assert "sessions[0].timezone: unknown time zone 'Mars/Olympus'" in line


def test_bad_reminder_offset_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, SHIPPED.replace('"1h"]', '"soon"]'))
    [line] = problems(path)
    assert "reminders.offsets: 'soon' is not a duration like 7d, 1h or 30m" in line


def test_environment_overrides_nested_keys_token_api_and_db(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MOOC_BOT_COURSE__DRIP_INTERVAL_HOURS", "12")
    monkeypatch.setenv("MOOC_BOT_TOKEN", "42:secret-token")
    monkeypatch.setenv("MOOC_BOT_API_URL", "http://127.0.0.1:8081")
    monkeypatch.setenv("MOOC_BOT_DB", "/tmp/other.sqlite3")
    settings = load_settings(ROOT / "settings.toml")
    assert settings.course.drip_interval_hours == 12
    assert settings.token is not None
    assert settings.token.get_secret_value() == "42:secret-token"
    assert settings.api_url == "http://127.0.0.1:8081"
    assert settings.database_path == Path("/tmp/other.sqlite3")
    assert "42:secret-token" not in repr(settings)


def test_settings_path_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = write(tmp_path, SHIPPED.replace("max_nudges = 3", "max_nudges = 1"))
    monkeypatch.setenv("MOOC_BOT_SETTINGS", str(path))
    assert load_settings().course.max_nudges == 1


def test_token_from_a_dot_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("MOOC_BOT_TOKEN=77:from-dotenv\n")
    settings = load_settings(ROOT / "settings.toml")  # the tests run in tmp_path
    assert settings.token is not None
    assert settings.token.get_secret_value() == "77:from-dotenv"


def test_bad_environment_value_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOOC_BOT_BROADCAST__RATE_PER_SECOND", "fast")
    [line] = problems(ROOT / "settings.toml")
    assert line.startswith("MOOC_BOT_BROADCAST__RATE_PER_SECOND: Input should be a valid number")


def test_webhook_mode_needs_an_https_url(tmp_path: Path) -> None:
    path = write(tmp_path, SHIPPED.replace('mode = "polling"', 'mode = "webhook"'))
    [line] = problems(path)
    assert "webhook mode needs webhook_url" in line


def test_digest_and_follow_ups_take_a_duration_or_off(tmp_path: Path) -> None:
    path = write(tmp_path, SHIPPED.replace('after = "1d"', 'after = "soon"'))
    [line] = problems(path)
    assert "followup.after: 'soon' is not a duration like 7d, 1h or 30m, or \"off\"" in line
    off = write(tmp_path, SHIPPED.replace('before = "2h"', 'before = "off"'))
    assert load_settings(off).digest.before is None


def test_a_secret_in_the_file_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, SHIPPED.replace("[bot]\n", '[bot]\ntoken = "1:x"\n'))
    [line] = problems(path)
    assert line.startswith(f"{path}:{line_of(SHIPPED, '[bot]') + 1}: bot.token: secrets must not")


def test_a_bad_value_from_the_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MOOC_BOT_API_URL", "ftp://127.0.0.1:8081")
    assert problems(ROOT / "settings.toml") == [
        "MOOC_BOT_API_URL: must be an http:// or https:// address (got 'ftp://127.0.0.1:8081')"
    ]


def test_registration_may_close_when_the_session_starts(tmp_path: Path) -> None:
    closes = "registration_closes_at = 2027-01-20T23:59:00+01:00"
    path = write(tmp_path, SHIPPED.replace(closes, "registration_closes_at = 2027-01-21T15:00:00Z"))
    session = load_settings(path).sessions[0]
    assert session.registration_closes_at == session.starts_at


def test_settings_without_sessions_warn_and_with_them_do_not(tmp_path: Path) -> None:
    assert load_settings(ROOT / "settings.toml").warnings == []
    empty = write(tmp_path, "")
    assert load_settings(empty).warnings == [
        f"{empty}: warning: no session is configured, so nobody can register "
        "(add a [[sessions]] table)"
    ]


def test_a_database_url_picks_the_database_and_the_old_path_still_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = load_settings(ROOT / "settings.toml")
    assert shipped.database_url == "data/mooc-bot.sqlite3"
    assert shipped.database_path == Path("data/mooc-bot.sqlite3")
    lite = write(
        tmp_path, SHIPPED.replace("[database]\n", '[database]\nurl = "sqlite:///x/b.db"\n')
    )
    assert load_settings(lite).database_path == Path("x/b.db")
    pg = 'url = "postgresql://moocbot@db.example.org/moocbot"'
    path = write(tmp_path, SHIPPED.replace("[database]\n", f"[database]\n{pg}\n"))
    settings = load_settings(path)
    assert settings.database_url == "postgresql://moocbot@db.example.org/moocbot"
    assert settings.database_path is None
    monkeypatch.setenv("MOOC_BOT_DB", "postgresql://other@db/other")
    assert load_settings(path).database_url == "postgresql://other@db/other"


@pytest.mark.parametrize(
    "url",
    ["postgresql://moocbot:s3cret@db/moocbot", "postgresql://moocbot@db/moocbot?password=s3cret"],
)
def test_a_database_password_in_the_file_is_refused_but_not_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    path = write(tmp_path, SHIPPED.replace("[database]\n", f'[database]\nurl = "{url}"\n'))
    [line] = problems(path)
    assert line.startswith(f"{path}:{line_of(SHIPPED, '[database]') + 1}: database.url: a password")
    assert "s3cret" not in line
    monkeypatch.setenv("MOOC_BOT_DATABASE__URL", url)
    assert load_settings(ROOT / "settings.toml").database_url == url


def test_an_unknown_database_is_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, SHIPPED.replace("[database]\n", '[database]\nurl = "mysql://db/x"\n'))
    [line] = problems(path)
    assert "database.url: must be sqlite:///" in line


def test_webhook_mode_on_postgresql_without_one_shared_secret_is_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only `mooc-bot run` refuses (tests/e2e/test_startup.py); other commands work."""
    monkeypatch.setenv("MOOC_BOT_DB", "postgresql://moocbot@db/moocbot")
    monkeypatch.setenv("MOOC_BOT_BOT__MODE", "webhook")
    monkeypatch.setenv("MOOC_BOT_BOT__WEBHOOK_URL", "https://bot.example.org/hook")
    settings = load_settings(ROOT / "settings.toml")  # no SettingsError
    assert settings.warnings[-1] == (
        "MOOC_BOT_BOT__WEBHOOK_SECRET: webhook mode on PostgreSQL needs one secret shared by "
        "every process; set it in the environment (`mooc-bot run` refuses to start)"
    )
    monkeypatch.setenv("MOOC_BOT_BOT__WEBHOOK_SECRET", "shared-secret")
    settings = load_settings(ROOT / "settings.toml")
    assert settings.bot.mode is BotMode.WEBHOOK
    assert settings.unshared_webhook is None
    assert not any("WEBHOOK_SECRET" in warning for warning in settings.warnings)
