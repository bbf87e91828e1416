"""`make run` without a token: the terminal chat, as a real process a person types into."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.conftest import ROOT


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


async def test_run_without_token_opens_the_sandbox_chat(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOOC_BOT_")}
    process = await asyncio.create_subprocess_exec(
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
        env=env,
    )
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
        await terminal.type("/quit")
        await terminal.read_until("Bye!")
        async with asyncio.timeout(30):
            await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0
    assert (tmp_path / "sandbox-data" / "sandbox.sqlite3").is_file()
    assert "sandbox-data" in database
