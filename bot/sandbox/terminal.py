"""`mooc-bot sandbox`: the local Telegram, the real bot over HTTP, and a chat in the terminal."""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.text import Text

from bot.base.settings import Settings
from bot.sandbox.demo import PRESETS, past_session, seat_past_session
from bot.sandbox.harness import Sandbox
from bot.sandbox.records import SimMessage
from bot.sandbox.server import BotApiServer
from bot.sandbox.styled import styled
from bot.sandbox.users import Person
from bot.shell.logs import setup_logging
from store.link import Target

__all__ = ["Terminal", "run_sandbox"]

HELP = (
    "Type a message or a /command and press Enter. A number presses that button.\n"
    "/as NAME switches person; any other name is a new participant. /who lists them; "
    "/quit ends.\n"
    "People: {people}."
)
ROLE_NOTE = {
    "organiser": "organiser: /broadcast, /registrations",
    "facilitator": "facilitator: /answers, /attendance, /export",
}


def _roles(kind: str) -> tuple[int, ...]:
    return tuple(p.user_id for p in PRESETS if p.role == kind and p.user_id is not None)


def _who() -> str:
    """The preset people as the banner lists them."""
    seated = [p.name for p in PRESETS if p.attended is not None]
    named = [f"{p.name} ({ROLE_NOTE[p.role]})" for p in PRESETS if p.role in ROLE_NOTE]
    past = f"{', '.join(seated)} (seated in the past session; Ann attended)"
    return ", ".join([f"{PRESETS[0].name} (you, a participant)", *named, past])


class Terminal:
    """Prints what the current person sees and turns typed lines into their actions."""

    def __init__(
        self, server: BotApiServer, files_dir: Path, out: TextIO, console: Console | None = None
    ) -> None:
        self.world = server.world
        self.files_dir = files_dir
        # Styles on a terminal (or with FORCE_COLOR), plain text into a pipe; never wrapped.
        self.console = console or Console(
            file=out, soft_wrap=True, markup=False, highlight=False, emoji=False
        )
        self.people = {
            p.name.lower(): Person.create(
                self.world, p.name, last_name=p.last_name, language_code="en", user_id=p.user_id
            )
            for p in PRESETS
        }
        self.me = self.people[PRESETS[0].name.lower()]
        for person in self.people.values():  # they wrote to the bot before: it may write back
            self.world.private_chat(person.user)
        self.numbered: list[str] = []
        self.world.listeners.append(self._show)

    def say(self, text: str | Text) -> None:
        self.console.print(text)
        self.console.file.flush()

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
        shown = styled(message.shown_text, message.entities)
        self.say(Text(prefix).append_text(Text("\n   ").join(shown.split("\n"))))
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
    setup_logging(settings.logging.level, handler=logging.FileHandler(data_dir / "bot.log"))
    database = data_dir / "sandbox.sqlite3"
    past = await asyncio.to_thread(past_session, data_dir, datetime.now(UTC))
    await seat_past_session(database, past)
    sandbox = Sandbox(
        settings,
        database,
        organisers=_roles("organiser"),
        facilitators=_roles("facilitator"),
        with_demo_session=True,
        sessions=(past,),
    )
    terminal = Terminal(sandbox.server, data_dir / "files", out)
    async with sandbox:
        terminal.say("The Magic of a Learning Culture — local sandbox (no MOOC_BOT_TOKEN set)")
        terminal.say(f"Local Bot API server: {sandbox.server.url}")
        terminal.say(f"Sandbox database: {Target.of(sandbox.settings.database_url)}")
        terminal.say(f"Bot log: {data_dir / 'bot.log'}")
        terminal.say(HELP.format(people=_who()))
        terminal.say(f"— you are {terminal.me.user.first_name}, a participant —")
        terminal.me.send("/start")
        queue = await _lines(stdin)
        while (line := await queue.get()) is not None and terminal.handle(line):
            pass
    terminal.say("Bye! Everything you did is kept in the sandbox database.")
