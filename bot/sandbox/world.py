"""The local Telegram's state: users, chats, messages, files, updates and a call log.

Everything a person would see in Telegram is kept here, in memory, and every
change wakes whoever waits in `wait_for` (tests, the terminal chat, long polls). The
records it keeps (users, chats, messages …) are in bot/sandbox/records.py.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from bot.sandbox.records import BOT_ID, SimCall, SimChat, SimFile, SimMessage, SimQuery, SimUser

__all__ = ["QUERY_TIMEOUT", "World"]

QUERY_TIMEOUT = 15.0  # seconds Telegram waits for a callback query's answer
UPDATE_HISTORY = 10_000  # updates kept after confirmation, so they can be posted again


class World:
    """All of the local Telegram's state. Methods never await: they are atomic.

    `clock` (seconds, wall time by default) dates messages and ages callback
    queries; tests inject one they move instead of sleeping.
    """

    def __init__(
        self, *, bot_username: str = "learning_culture_bot", clock: Callable[[], float] = time.time
    ) -> None:
        self.bot = SimUser(
            BOT_ID, "Learning Culture Bot", username=bot_username, is_bot=True, language_code=None
        )
        self.clock = clock
        self.users: dict[int, SimUser] = {}
        self.chats: dict[int, SimChat] = {}
        self.messages: dict[int, list[SimMessage]] = {}
        self.files: dict[str, SimFile] = {}
        self.updates: list[dict[str, Any]] = []  # pending: not yet confirmed or delivered
        self.history: dict[int, dict[str, Any]] = {}  # the latest updates by id, confirmed too
        self.webhook_posts: list[int] = []  # update ids the webhook took, duplicates included
        self.poll_superseded: asyncio.Event | None = None  # set: the poll waiting now ends
        self.poll_conflicts = 0  # getUpdates calls ended by another poller's (409)
        self.callback_queries: dict[str, SimQuery] = {}
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.webhook: dict[str, Any] = {}
        self.calls: list[SimCall] = []  # answered calls, with their status
        self.started: list[SimCall] = []  # calls as they arrive, before latency or an answer
        self._changed = asyncio.Event()
        self.listeners: list[Callable[[str, SimMessage], None]] = []
        # Large and new for every local Telegram, as Telegram's own: a bot whose inbox
        # remembers the ids of an earlier sandbox must not take new updates for old ones.
        self._update_ids = itertools.count(time.time_ns() // 1000 % 10**12)
        self._user_ids = itertools.count(1001)
        self._group_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._query_ids = itertools.count(1)

    # --- change notification -------------------------------------------------

    def touch(self, event: str | None = None, message: SimMessage | None = None) -> None:
        """Wake everyone waiting for a change; tell listeners about bot messages."""
        if event is not None and message is not None:
            for listener in list(self.listeners):
                listener(event, message)
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def next_change(self) -> None:
        """Return at the next change of anything."""
        await self._changed.wait()

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait until predicate() is truthy and return its value; TimeoutError after timeout."""
        async with asyncio.timeout(timeout):
            while True:
                value = predicate()
                if value:
                    return value
                await self._changed.wait()

    # --- people and chats ----------------------------------------------------

    def add_user(
        self,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        user_id: int | None = None,
    ) -> SimUser:
        user = SimUser(
            user_id or next(self._user_ids), first_name, last_name, username, language_code
        )
        self.users[user.id] = user
        return user

    def private_chat(self, user: SimUser) -> SimChat:
        chat = self.chats.get(user.id)
        if chat is None:
            chat = self.chats[user.id] = SimChat(user.id, "private", user=user)
            self.messages[chat.id] = []
        return chat

    def add_group(self, title: str) -> SimChat:
        chat = SimChat(-100_000_000_0000 - next(self._group_ids), "supergroup", title=title)
        self.chats[chat.id] = chat
        self.messages[chat.id] = []
        return chat

    def new_message(self, chat: SimChat, sender: SimUser, **fields: Any) -> SimMessage:
        message = SimMessage(chat, chat.next_message_id, sender, int(self.clock()), **fields)
        chat.next_message_id += 1
        self.messages[chat.id].append(message)
        return message

    def find_message(self, chat_id: int, message_id: int) -> SimMessage | None:
        for message in self.messages.get(chat_id, []):
            if message.message_id == message_id and not message.deleted:
                return message
        return None

    def store_file(self, name: str, mime_type: str, data: bytes) -> SimFile:
        number = next(self._file_ids)
        file = SimFile(f"SIMFILE{number:06d}", f"SIMU{number:06d}", name, mime_type, data)
        self.files[file.file_id] = file
        return file

    # --- updates -------------------------------------------------------------

    def push_update(self, **payload: Any) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), **payload}
        self.updates.append(update)
        self.history[update["update_id"]] = update
        if len(self.history) > UPDATE_HISTORY:
            del self.history[next(iter(self.history))]
        self.touch()
        return update

    def redeliver(self, update_id: int) -> dict[str, Any]:
        """Queue an update again, as Telegram does when it never heard the webhook's answer.

        The same update (same update_id) is posted to the webhook once more. A
        getUpdates whose offset already confirmed it never sees it again, as in
        Telegram; KeyError for an update the world does not know (any more).
        """
        update = dict(self.history[update_id])
        self.updates.append(update)
        self.touch()
        return update

    def new_callback_query(self, user: SimUser, message: SimMessage, data: str) -> dict[str, Any]:
        query_id = f"{next(self._query_ids)}{user.id}"
        self.callback_queries[query_id] = SimQuery(user, message, self.clock())
        return {
            "id": query_id,
            "from": user.to_api(),
            "message": message.to_api(),
            "chat_instance": str(message.chat.id * 7 + 3),
            "data": data,
        }

    def take_updates(
        self, offset: int, limit: int, allowed: list[str] | None
    ) -> list[dict[str, Any]]:
        """Forget updates before `offset` (confirmed), return the next ones.

        An update stays pending until an offset above its id confirms it: a call
        without offset (a bot that restarted) gets every unconfirmed one again. A
        negative offset keeps only the last -offset updates, as in Telegram.
        """
        if offset < 0:  # Telegram: the last -offset updates; all before are forgotten
            self.updates = self.updates[offset:]
        elif offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        chosen = [u for u in self.updates if allowed is None or not allowed or _kind(u) in allowed]
        return chosen[:limit]

    # --- the call log --------------------------------------------------------

    def log_call(
        self, method: str, status: int, chat_id: int | None, description: str = ""
    ) -> None:
        self.calls.append(SimCall(method, status, chat_id, description))
        self.touch()

    def call_counts(self) -> Counter[str]:
        return Counter(call.method for call in self.calls)


def _kind(update: dict[str, Any]) -> str:
    return next(key for key in update if key != "update_id")
