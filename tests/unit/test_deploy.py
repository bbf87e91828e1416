"""docs/deploy.md and the systemd unit say only what the product does.

The commands themselves run in tests/unit/test_cli.py (check-config, logins, db
backup) and tests/e2e/test_production.py (run in both modes, /health, SIGTERM);
here every command the guide shows must exist as written.
"""

from __future__ import annotations

import configparser
import re
import shlex
import tomllib

from bot.cli.main import parser as cli_parser
from tests.conftest import ROOT

GUIDE = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
UNIT = ROOT / "docs" / "mooc-bot.service"


def shell_lines() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", GUIDE, flags=re.S)
    return [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]


def test_every_mooc_bot_command_in_the_guide_is_one_the_cli_takes() -> None:
    commands = [line for line in shell_lines() if ".venv/bin/mooc-bot " in line]
    assert len(commands) >= 4
    parser = cli_parser()
    for line in commands:
        words = shlex.split(line)
        args = words[words.index(next(w for w in words if w.endswith("/mooc-bot"))) + 1 :]
        parsed = parser.parse_args(args)  # exits (fails the test) on a wrong command
        assert parsed.command


def test_every_make_target_in_the_guide_exists() -> None:
    makefile = (ROOT / "Makefile").read_text()
    targets = {m for line in shell_lines() for m in re.findall(r"\bmake (\w[\w-]*)", line)}
    assert targets == {"install"}
    for target in targets:
        assert re.search(rf"^{target}:", makefile, flags=re.M)


def test_the_unit_runs_the_installed_bot_and_stops_it_with_sigterm() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(UNIT)
    service = unit["Service"]
    home = service["WorkingDirectory"]
    assert service["ExecStart"] == f"{home}/.venv/bin/mooc-bot run"
    assert service["KillSignal"] == "SIGTERM"
    assert service["Restart"] == "on-failure"
    assert service["EnvironmentFile"] == "/etc/mooc-bot/env"
    # The only writable place is where the shipped settings keep the database.
    settings = tomllib.loads((ROOT / "settings.toml").read_text())
    database_folder = settings["database"]["path"].rpartition("/")[0]
    assert service["ReadWritePaths"] == f"{home}/{database_folder}"
    assert f"cp docs/{UNIT.name} /etc/systemd/system/" in GUIDE
    assert f"git clone https://example.org/your/mooc-bot.git {home}" in GUIDE


def test_the_webhook_settings_in_the_guide_are_valid() -> None:
    from bot.base.settings import BotSettings

    block = re.search(r"```toml\n(.*?)```", GUIDE, flags=re.S)
    assert block is not None
    settings = BotSettings(**tomllib.loads(block.group(1))["bot"])
    assert settings.mode.value == "webhook"
