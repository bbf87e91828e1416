"""`make run` without a token: the terminal chat, as a real process a person types into."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import aiohttp

from tests.conftest import ROOT

BOLD = "\x1b[1m"


class Terminal:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.seen: list[str] = []

    async def read_until(self, text: str, timeout: float = 60) -> str:
        assert self.process.stdout is not None
        async with asyncio.timeout(timeout):
            while True:
                line = (await self.process.stdout.readline()).decode()
                if not line:
                    raise AssertionError(f"ended before {text!r}; saw:\n{''.join(self.seen)}")
                self.seen.append(line)
                if text in line:
                    return line

    async def type(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{line}\n".encode())
        await self.process.stdin.drain()


async def quit_(terminal: Terminal, process: asyncio.subprocess.Process) -> None:
    """/quit says goodbye and ends the process with status 0."""
    await terminal.type("/quit")
    await terminal.read_until("Bye!")
    async with asyncio.timeout(30):
        await process.wait()
    assert process.returncode == 0


async def start(tmp_path: Path, **env: str) -> asyncio.subprocess.Process:
    """`mooc-bot run` without a token, as `make run` starts it in a fresh folder."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MOOC_BOT_")}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--settings",
        str(ROOT / "settings.toml"),
        "run",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=tmp_path,
        env={k: v for k, v in clean.items() if k != "NO_COLOR"} | env,
    )


async def test_run_without_token_opens_the_sandbox_chat(tmp_path: Path) -> None:
    process = await start(tmp_path)
    terminal = Terminal(process)
    try:
        database = await terminal.read_until("Sandbox database:")
        await terminal.read_until("Hello Alex!")
        await terminal.read_until("What would you like to do?")
        buttons = await terminal.read_until("[1]")
        assert "[6] ❓ Help" in buttons
        await terminal.type("6")
        await terminal.read_until("What I can do")
        await terminal.type("/course")
        await terminal.read_until("Part 1 of 4")
        await terminal.read_until("[1] Next ▶")
        await terminal.type("1")
        await terminal.read_until("spoil it")
        await terminal.type("<i>not a tag</i> 🌱")
        await terminal.read_until("Thanks for your message")
        await terminal.type("/as Olivia")
        await terminal.read_until("you are now Olivia")
        await terminal.type("/start")
        await terminal.read_until("Hello Olivia!")
        await quit_(terminal, process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert (tmp_path / "sandbox-data" / "sandbox.sqlite3").is_file()
    assert "sandbox-data" in database


async def throttle(server: str, rate: float) -> None:
    """A share of the bot's sends, edits and button answers gets Telegram's 429."""
    async with (
        aiohttp.ClientSession() as http,
        http.put(f"{server}/sim/faults", json={"throttle_rate": rate}) as answer,
    ):
        assert answer.status == 200


async def test_sandbox_presets_a_facilitator_an_organiser_and_a_past_session(
    tmp_path: Path,
) -> None:
    process = await start(tmp_path, FORCE_COLOR="1")  # styles as on a terminal
    terminal = Terminal(process)
    try:
        server = (await terminal.read_until("Local Bot API server:")).split(": ", 1)[1].strip()
        people = await terminal.read_until("People:")
        assert "Fenna (facilitator" in people
        assert "Olivia (organiser" in people
        await terminal.read_until("What would you like to do?")
        await throttle(server, 0.5)

        await terminal.type("/as Fenna")
        await terminal.read_until("you are now Fenna")
        await terminal.type("/answers")
        choose = await terminal.read_until("Which question?")
        assert f"{BOLD}Answers" in choose  # <b>Answers</b>, in bold
        await terminal.read_until("Recognise the problem?")

        await terminal.type("/attendance")  # the latest session that started: the past one
        page = await terminal.read_until("Attendance:")
        assert "Past try-out session" in page
        await terminal.read_until("1 of 3 marked as attended")
        seated = await terminal.read_until("[1]")
        assert "[1] ✅ Ann  [2] ⬜ Bea  [3] ⬜ Cas" in seated

        await terminal.type("/as Ann")  # attended: thanked, then asked the question a week on
        await terminal.read_until("Thank you for joining")
        await terminal.read_until("what will you do differently")
        await throttle(server, 0)
        await quit_(terminal, process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = (tmp_path / "sandbox-data" / "bot.log").read_text(encoding="utf-8")
    assert "429 Too Many Requests" in log  # the 429s came, each one line
    assert "Traceback" not in log
