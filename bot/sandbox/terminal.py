"""`mooc-bot sandbox`: the local Telegram, the real bot over HTTP, and a chat in the terminal."""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from pathlib import Path
from typing import TextIO

from bot.sandbox.harness import Sandbox
from bot.sandbox.server import BotApiServer
from bot.sandbox.users import Person
from bot.sandbox.world import SimMessage
from bot.settings import Settings

__all__ = ["Terminal", "run_sandbox"]

ORGANISER_ID = 9000001
HELP = (
    "Type a message or a /command and press Enter. A number presses that button.\n"
    "/as NAME switches person ({names}); /who lists them; /quit ends."
)


class Terminal:
    """Prints what the current person sees and turns typed lines into their actions."""

    def __init__(self, server: BotApiServer, files_dir: Path, out: TextIO) -> None:
        self.world = server.world
        self.files_dir = files_dir
        self.out = out
        self.people = {
            "alex": Person.create(self.world, "Alex", last_name="Jansen", language_code="en"),
            "olivia": Person.create(
                self.world,
                "Olivia",
                last_name="(organiser)",
                language_code="en",
                user_id=ORGANISER_ID,
            ),
        }
        self.me = self.people["alex"]
        self.numbered: list[str] = []
        self.world.listeners.append(self._show)

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def _show(self, event: str, message: SimMessage) -> None:
        if message.chat.id != self.me.user.id:
            return
        if event == "toast":
            if self.me.user.toasts:
                self.say(f"   ⓘ {self.me.user.toasts[-1]}")
            return
        if event == "buttons":
            if message.button_labels:
                self.numbered = message.button_labels
                self.say("   " + "  ".join(f"[{i}] {b}" for i, b in enumerate(self.numbered, 1)))
            return
        if event == "delete":
            self.say("   (a message was deleted)")
            return
        prefix = "🤖 (edited) " if event == "edit" else "🤖 "
        lines = message.shown_text.splitlines() or [""]
        self.say(prefix + lines[0] + "".join(f"\n   {line}" for line in lines[1:]))
        for file, icon in ((message.document, "📎"), (message.photo, "🖼")):
            if file is not None:
                self.files_dir.mkdir(parents=True, exist_ok=True)
                path = self.files_dir / file.name
                path.write_bytes(file.data)
                self.say(f"   {icon} {file.name} saved to {path}")
        if message.button_labels:
            self.numbered = message.button_labels
            self.say(
                "   " + "  ".join(f"[{i}] {label}" for i, label in enumerate(self.numbered, 1))
            )

    def handle(self, line: str) -> bool:
        """Act on one typed line; False when the person wants to quit."""
        line = line.strip()
        if not line:
            return True
        if line == "/quit":
            return False
        if line == "/who":
            self.say(", ".join(p.user.first_name for p in self.people.values()))
        elif line.startswith("/as"):
            self._switch(line[3:].strip())
        elif line.isdigit() and self.numbered:
            index = int(line) - 1
            if 0 <= index < len(self.numbered):
                try:
                    self.me.press(self.numbered[index])
                except LookupError:
                    self.say("   (that button is gone)")
            else:
                self.say(f"   (no button {line}; choose 1-{len(self.numbered)})")
        else:
            self.me.send(line)
        return True

    def _switch(self, name: str) -> None:
        person = self.people.get(name.lower())
        if person is None:
            person = Person.create(self.world, name or "Guest")
            self.people[name.lower()] = person
        self.me = person
        self.numbered = []
        self.say(f"— you are now {person.user.first_name} (id {person.user.id}) —")
        for message in person.messages()[-3:]:
            if message.from_bot:
                self._show("new", message)


async def _lines(stdin: TextIO) -> asyncio.Queue[str | None]:
    """Lines typed, read by a daemon thread so a blocked read never holds up the exit."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def read() -> None:
        for line in iter(stdin.readline, ""):
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=read, daemon=True, name="sandbox-stdin").start()
    return queue


async def run_sandbox(
    settings: Settings, data_dir: Path, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout
) -> None:
    """Start the local Telegram and the bot, then chat in the terminal until /quit."""
    await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    handler = logging.FileHandler(data_dir / "bot.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().handlers[:] = [handler]
    sandbox = Sandbox(
        settings, data_dir / "sandbox.sqlite3", organisers=(ORGANISER_ID,), with_demo_session=True
    )
    terminal = Terminal(sandbox.server, data_dir / "files", out)
    async with sandbox:
        terminal.say("The Magic of a Learning Culture — local sandbox (no MOOC_BOT_TOKEN set)")
        terminal.say(f"Local Bot API server: {sandbox.server.url}")
        terminal.say(f"Sandbox database: {sandbox.settings.database_path}")
        terminal.say(f"Bot log: {data_dir / 'bot.log'}")
        names = ", ".join(p.user.first_name for p in terminal.people.values())
        terminal.say(HELP.format(names=names))
        terminal.say(f"— you are {terminal.me.user.first_name}, a participant —")
        terminal.me.send("/start")
        queue = await _lines(stdin)
        while (line := await queue.get()) is not None and terminal.handle(line):
            pass
    terminal.say("Bye! Everything you did is kept in the sandbox database.")
