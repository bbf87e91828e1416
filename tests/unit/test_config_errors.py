"""Every bad setting or content file: the real `mooc-bot` says so in one line and exits 2.

Each test runs the installed command as a process, as an organiser would, and asserts
the exit status, the one line (file, line number, what is wrong) and no traceback.
`run` must stop with that line before it opens the database or reaches the Bot API.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.sandbox import BotApiServer
from tests.conftest import ROOT

MOOC_BOT = Path(sys.executable).parent / "mooc-bot"
SHIPPED = (ROOT / "settings.toml").read_text()
# `run` with a token: the real bot, against an address where nothing listens.
AS_SERVICE = {"MOOC_BOT_TOKEN": "123:dummy", "MOOC_BOT_API_URL": "http://127.0.0.1:9"}
RUNS = [
    pytest.param(("run",), AS_SERVICE, id="run"),
    pytest.param(("run",), {}, id="run-sandbox"),
]
COMMANDS = [
    pytest.param(("check-config",), {}, id="check-config"),
    pytest.param(("check-content",), {}, id="check-content"),
    *RUNS,
]


def line_of(path: Path, start: str) -> int:
    """The number of the first line of `path` that starts with `start`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if line.startswith(start))


def mooc_bot(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run the command (bounded: a `run` that started would not end by itself); its stderr.

    `run` is the installed command in a process of its own, as a service starts it; the
    checks are the same `cli.main` called in this process (a process each would cost a
    second and a half of imports, 35 times over)."""
    database = tmp_path / "bot.sqlite3"
    shipped = str(ROOT / "settings.toml")  # unless --settings names another
    environment = {"MOOC_BOT_DB": str(database), "MOOC_BOT_SETTINGS": shipped, **(env or {})}
    if "run" in args:
        done = subprocess.run(
            [str(MOOC_BOT), *args],
            env={**os.environ, **environment},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        code, out, err = done.returncode, done.stdout, done.stderr
    else:
        code, out, err = in_process(tmp_path, list(args), environment)
    assert "Traceback" not in out + err
    assert not database.exists(), "it opened the database before refusing"
    return code, err


def in_process(tmp_path: Path, args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    saved, here = dict(os.environ), Path.cwd()
    out, err = io.StringIO(), io.StringIO()
    os.environ.update(env)
    os.chdir(tmp_path)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
    finally:
        os.chdir(here)
        os.environ.clear()
        os.environ.update(saved)
    return code, out.getvalue(), err.getvalue()


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped content that the commands read (MOOC_BOT_CONTENT)."""
    copy = tmp_path / "content"
    shutil.copytree(ROOT / "content", copy)
    monkeypatch.setenv("MOOC_BOT_CONTENT", str(copy))
    return copy


def settings_with(tmp_path: Path, old: str, new: str) -> Path:
    assert old in SHIPPED
    path = tmp_path / "settings.toml"
    path.write_text(SHIPPED.replace(old, new, 1))
    return path


@pytest.mark.parametrize(("command", "env"), COMMANDS)
def test_a_toml_syntax_error_in_strings_names_file_and_line(
    tmp_path: Path, content: Path, command: tuple[str, ...], env: dict[str, str]
) -> None:
    path = content / "nl" / "strings.toml"
    line = line_of(path, 'next = "Verder ▶"')
    path.write_text(path.read_text().replace('next = "Verder ▶"\n', '{\nnext = "Verder ▶"\n', 1))
    code, err = mooc_bot(tmp_path, *command, env=env)
    assert code == 2
    assert one_line(err) == f"{path}:{line}: not valid TOML: Invalid statement (column 1)"


@pytest.mark.parametrize(("command", "env"), COMMANDS)
def test_a_stray_brace_in_a_ui_string_names_file_line_and_key(
    tmp_path: Path, content: Path, command: tuple[str, ...], env: dict[str, str]
) -> None:
    path = content / "nl" / "strings.toml"
    line = line_of(path, 'next = "Verder ▶"')
    path.write_text(path.read_text().replace('next = "Verder ▶"', 'next = "Verder { ▶"', 1))
    code, err = mooc_bot(tmp_path, *command, env=env)
    assert code == 2
    assert one_line(err) == (
        f"{path}:{line}: course.next: expected '}}' before end of string "
        "(write {{ or }} for a literal brace)"
    )


def test_a_toml_syntax_error_in_the_settings_names_the_line(tmp_path: Path) -> None:
    path = settings_with(tmp_path, "[reminders]", "[reminders")
    code, err = mooc_bot(tmp_path, "--settings", str(path), "check-config")
    assert code == 2
    line = line_of(path, "[reminders")
    assert one_line(err) == (
        f"{path}:{line}: not valid TOML: Expected ']' at the end of a table declaration (column 11)"
    )


def test_a_toml_syntax_error_in_a_flow_names_file_and_line(tmp_path: Path, content: Path) -> None:
    path = content / "flows" / "reflection.toml"
    line = line_of(path, "review = true")
    path.write_text(path.read_text().replace("review = true", "review = yes", 1))
    code, err = mooc_bot(tmp_path, "check-content")
    assert code == 2
    assert one_line(err) == f"{path}:{line}: not valid TOML: Invalid value (column 10)"


def test_a_toml_syntax_error_in_front_matter_names_file_and_line(
    tmp_path: Path, content: Path
) -> None:
    path = content / "en" / "course" / "2-why.md"
    path.write_text(path.read_text().replace("order = 2", "order = = 2", 1))
    code, err = mooc_bot(tmp_path, "check-content")
    assert code == 2
    assert one_line(err) == f"{path}:3: not valid TOML: Invalid value (column 9)"


@pytest.mark.parametrize(("command", "env"), [COMMANDS[1], *RUNS])
def test_an_unclosed_if_in_the_digest_template_names_file_and_line(
    tmp_path: Path, content: Path, command: tuple[str, ...], env: dict[str, str]
) -> None:
    path = content / "templates" / "digest.html.j2"
    text = path.read_text()
    path.write_text(text + "{% if digest.everyone %}\n")  # never closed
    code, err = mooc_bot(tmp_path, *command, env=env)
    assert code == 2
    assert one_line(err) == (
        f"{path}:{len(text.splitlines()) + 1}: Unexpected end of template. Jinja was looking "
        "for the following tags: 'elif' or 'else' or 'endif'. "
        "The innermost block that needs to be closed is 'if'."
    )


def test_an_if_without_a_condition_in_the_digest_template_names_the_line(
    tmp_path: Path, content: Path
) -> None:
    path = content / "templates" / "digest.html.j2"
    line = line_of(path, "<body>")
    path.write_text(path.read_text().replace("<body>", "<body>{% if %}", 1))
    code, err = mooc_bot(tmp_path, "check-content")
    assert code == 2
    assert one_line(err) == f"{path}:{line}: Expected an expression, got 'end of statement block'"


@pytest.mark.parametrize(("command", "env"), [COMMANDS[1], *RUNS])
def test_a_broken_expression_in_the_digest_template_names_file_and_line(
    tmp_path: Path, content: Path, command: tuple[str, ...], env: dict[str, str]
) -> None:
    path = content / "templates" / "digest.html.j2"
    line = line_of(path, "  <h2>{{ question.title }}</h2>")
    path.write_text(path.read_text().replace("question.title }}</h2>", "question.titel }}</h2>"))
    code, err = mooc_bot(tmp_path, *command, env=env)
    assert code == 2
    assert one_line(err) == (
        f"{path}:{line}: fails on sample data: "
        "'bot.reports.digest_page.QuestionDigest object' has no attribute 'titel'"
    )


@pytest.mark.parametrize(("command", "env"), [COMMANDS[0], *RUNS])
def test_a_javascript_join_url_is_refused(
    tmp_path: Path, command: tuple[str, ...], env: dict[str, str]
) -> None:
    old = 'join_url = "https://meet.example.org/learning-culture"'
    path = settings_with(tmp_path, old, 'join_url = "javascript:alert(1)"')
    code, err = mooc_bot(tmp_path, "--settings", str(path), *command, env=env)
    assert code == 2
    assert one_line(err) == (
        f"{path}:{line_of(path, 'join_url =')}: sessions[0].join_url: "
        "must be an http:// or https:// address (got 'javascript:alert(1)')"
    )


@pytest.mark.parametrize(
    ("old", "new", "where", "what"),
    [
        (
            'mooc_url = "https://mooc.example.org/the-magic-of-a-learning-culture"',
            'mooc_url = "mailto:someone@example.org"',
            "sessions[0].mooc_url",
            "must be an http:// or https:// address (got 'mailto:someone@example.org')",
        ),
        (
            'recording_url = ""',
            'recording_url = "https://"',
            "sessions[0].recording_url",
            "is not a valid web address: empty host (got 'https://')",
        ),
        (
            'webhook_url = ""',
            'webhook_url = "ftp://example.org/hook"',
            "bot.webhook_url",
            "must be an http:// or https:// address (got 'ftp://example.org/hook')",
        ),
    ],
)
def test_every_url_setting_must_be_a_web_address(
    tmp_path: Path, old: str, new: str, where: str, what: str
) -> None:
    path = settings_with(tmp_path, old, new)
    code, err = mooc_bot(tmp_path, "--settings", str(path), "check-config")
    assert code == 2
    key = new.split(" =")[0]
    assert one_line(err) == f"{path}:{line_of(path, key + ' =')}: {where}: {what}"


def test_registration_closing_after_the_session_starts_is_refused(tmp_path: Path) -> None:
    path = settings_with(
        tmp_path,
        "registration_closes_at = 2027-01-20T23:59:00+01:00",
        "registration_closes_at = 2027-01-22T12:00:00+01:00",
    )
    code, err = mooc_bot(tmp_path, "--settings", str(path), "check-config")
    assert code == 2
    assert one_line(err) == (
        f"{path}:{line_of(path, 'registration_closes_at')}: sessions[0].registration_closes_at: "
        "is after the session starts (2027-01-21T16:00:00+01:00) (got 2027-01-22T12:00:00+01:00)"
    )


@pytest.mark.parametrize(
    ("old", "new", "line_starts", "what"),
    [
        (
            'timezone = "Europe/Amsterdam"',
            'timezone = "Europe"',  # a folder of zones: read as a file, it was an OSError
            "timezone =",
            "sessions[0].timezone: unknown time zone 'Europe' (use a name like Europe/Amsterdam)",
        ),
        (
            'offsets = ["7d", "1d", "1h"]',
            'offsets = ["7d", "9999999999d"]',  # overflowed timedelta
            "offsets =",
            "reminders.offsets: '9999999999d' is longer than 3650 days",
        ),
        (
            'offsets = ["7d", "1d", "1h"]',
            "offsets = [7]",  # was taken as 7 seconds, silently
            "offsets =",
            "reminders.offsets: 7 is not a duration like 7d, 1h or 30m",
        ),
        (
            'listen = "0.0.0.0:8443"',
            'listen = "0.0.0.0:99999"',
            "listen =",
            "bot.listen: must be HOST:PORT (a port from 1 to 65535), e.g. 0.0.0.0:8443 "
            "(got '0.0.0.0:99999')",
        ),
        (
            'languages = ["en", "nl"]',
            'languages = ["en", "../nl"]',
            "languages =",
            "course.languages[1]: String should match pattern '^[a-z]{2,3}$' (got '../nl')",
        ),
        (
            "duration_minutes = 90",
            "duration_minutes = 100000000000000",
            "duration_minutes",
            "sessions[0].duration_minutes: Input should be less than or equal to 10080 "
            "(got 100000000000000)",
        ),
        (
            "organisers = []",
            "organisers = [0]",
            "organisers",
            "roles.organisers[0]: Input should be greater than 0 (got 0)",
        ),
    ],
)
def test_other_bad_values_are_one_line_each(
    tmp_path: Path, old: str, new: str, line_starts: str, what: str
) -> None:
    path = settings_with(tmp_path, old, new)
    code, err = mooc_bot(tmp_path, "--settings", str(path), "check-config")
    assert code == 2
    assert one_line(err) == f"{path}:{line_of(path, line_starts)}: {what}"


def test_a_second_session_with_the_same_id_is_refused(tmp_path: Path) -> None:
    session = SHIPPED[SHIPPED.index("[[sessions]]") : SHIPPED.index("[reminders]")]
    path = tmp_path / "settings.toml"
    path.write_text(SHIPPED.replace("[reminders]", session + "[reminders]", 1))
    code, err = mooc_bot(tmp_path, "--settings", str(path), "check-config")
    assert code == 2
    assert one_line(err) == (
        f"{path}:{line_of(path, '[[sessions]]')}: sessions: id 'knowledge-sharing' is used by "
        "sessions[0] and sessions[1]; each session needs its own"
    )


def test_an_empty_settings_file_is_a_warning_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("")
    code, err = mooc_bot(tmp_path, "--settings", str(path), "check-config")
    assert code == 0
    assert one_line(err) == (
        f"{path}: warning: no session is configured, so nobody can register "
        "(add a [[sessions]] table)"
    )


async def test_run_logs_the_warning_of_an_empty_settings_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("")
    token = "4242:empty-settings"
    async with BotApiServer(token) as server:
        process = await asyncio.create_subprocess_exec(
            str(MOOC_BOT),
            "--settings",
            str(path),
            "run",
            env={
                **os.environ,
                "MOOC_BOT_TOKEN": token,
                "MOOC_BOT_API_URL": server.url,
                "MOOC_BOT_DB": str(tmp_path / "bot.sqlite3"),
            },
            cwd=tmp_path,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        assert process.stderr is not None
        try:
            async with asyncio.timeout(60):
                while b"no session is configured" not in (line := await process.stderr.readline()):
                    assert line, "the bot ended without the warning"
        finally:
            process.send_signal(signal.SIGINT)
            async with asyncio.timeout(30):
                await process.wait()
    text = line.decode()
    assert "level=WARNING" in text
    assert f"{path}: warning: no session is configured" in text


@pytest.mark.parametrize(
    ("variable", "value", "what"),
    [
        ("MOOC_BOT_ROLES__ORGANISERS", "1,2", "a list of ids looks like [1, 2]"),
        ("MOOC_BOT_ROLES__ORGANISERS", "abc", "a list of ids looks like [1, 2]"),
        ("MOOC_BOT_ROLES__ORGANISERS", "{", "a list of ids looks like [1, 2]"),
        ("MOOC_BOT_SESSIONS", "garbage", 'a list of tables looks like [{"key": "value"}]'),
        ("MOOC_BOT_ROLES", "{", 'a table looks like {"key": "value"}'),
    ],
)
def test_a_variable_that_is_not_json_names_the_variable(
    tmp_path: Path, variable: str, value: str, what: str
) -> None:
    code, err = mooc_bot(tmp_path, "check-config", env={variable: value})
    assert code == 2
    assert one_line(err) == f"{variable}: not valid JSON ({what})"


NESTED = "x = " + "[" * 5000 + "]" * 5000 + "\n"


@pytest.mark.parametrize(
    "where", ["settings.toml", "en/strings.toml", "nl/strings.toml", "flows/reflection.toml"]
)
def test_toml_nested_too_deep_is_one_line(tmp_path: Path, content: Path, where: str) -> None:
    path = tmp_path / where if where == "settings.toml" else content / where
    path.write_text((SHIPPED if where == "settings.toml" else path.read_text()) + NESTED)
    settings = ["--settings", str(path)] if where == "settings.toml" else []
    code, err = mooc_bot(tmp_path, *settings, "check-config")
    assert code == 2
    assert one_line(err) == f"{path}: not valid TOML: nested too deep"


def test_toml_nested_too_deep_in_front_matter_is_one_line(tmp_path: Path, content: Path) -> None:
    path = content / "en" / "course" / "2-why.md"
    path.write_text(path.read_text().replace("order = 2", "order = 2\n" + NESTED.strip(), 1))
    code, err = mooc_bot(tmp_path, "check-content")
    assert code == 2
    assert one_line(err) == f"{path}: not valid TOML: nested too deep"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("starts_at", "9999-12-31T23:00:00-23:59"),  # its end overflowed in `run`
        ("starts_at", "0001-01-01T00:00:00+00:00"),  # its reminders would
        ("registration_closes_at", "9999-12-31T23:00:00-23:59"),
    ],
)
def test_a_session_time_a_datetime_cannot_reach_is_refused(
    tmp_path: Path, key: str, value: str
) -> None:
    old = next(line for line in SHIPPED.splitlines() if line.startswith(f"{key} ="))
    path = settings_with(tmp_path, old, f"{key} = {value}")
    code, err = mooc_bot(tmp_path, "--settings", str(path), "check-config")
    assert code == 2
    assert one_line(err) == (
        f"{path}:{line_of(path, key)}: sessions[0].{key}: "
        f"must be in a year from 1900 to 9000 (got {value})"
    )


@pytest.mark.parametrize("flow", ["registration", "reflection", "broadcast", "after"])
@pytest.mark.parametrize("command", ["check-config", "check-content"])
def test_a_flow_the_bot_needs_must_be_there(
    tmp_path: Path, content: Path, flow: str, command: str
) -> None:
    path = content / "flows" / f"{flow}.toml"
    path.unlink()
    code, err = mooc_bot(tmp_path, command)
    assert code == 2
    assert one_line(err) == f"{path}: missing (the bot needs the {flow} flow)"


@pytest.mark.parametrize(
    ("seconds", "what"),
    [
        ("nan", "must be 0 or more seconds (got 'nan')"),  # was: never gave up
        ("inf", "must be 0 or more seconds (got 'inf')"),
        ("-1", "must be 0 or more seconds (got '-1')"),
        ("soon", "not a number of seconds: 'soon'"),
    ],
)
def test_give_up_after_must_be_a_finite_number_of_seconds(
    capsys: pytest.CaptureFixture[str], seconds: str, what: str
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["run", "--give-up-after", seconds])
    assert stopped.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"mooc-bot run: error: argument --give-up-after: {what}"
    )


@pytest.mark.parametrize("token", ["", "  "])
def test_a_token_set_but_empty_is_refused(tmp_path: Path, token: str) -> None:
    code, err = mooc_bot(tmp_path, "check-config", env={"MOOC_BOT_TOKEN": token})
    assert code == 2
    assert one_line(err) == "MOOC_BOT_TOKEN is set but empty"


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("capacity = 100", "capacity = true", "sessions[0].capacity"),
        ("duration_minutes = 90", "duration_minutes = false", "sessions[0].duration_minutes"),
        ("organisers = []", "organisers = [true]", "roles.organisers[0]"),
    ],
)
def test_true_or_false_is_not_a_number(tmp_path: Path, old: str, new: str, where: str) -> None:
    path = settings_with(tmp_path, old, new)
    code, err = mooc_bot(tmp_path, "--settings", str(path), "check-config")
    assert code == 2
    got = new.split("= ")[1].strip("[]").capitalize()
    assert one_line(err) == (
        f"{path}:{line_of(path, new.split(' =')[0])}: {where}: "
        f"must be a number, not true or false (got {got})"
    )
