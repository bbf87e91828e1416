"""The user side of the local Telegram: people who type, tap and read their chat.

`Person` is the Python face (tests, the terminal chat); the `/sim/…` routes are
the same over HTTP for anything outside the process.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol

from aiohttp import web

from bot.base.telegram_html import utf16_len
from bot.sandbox.limits import Faults, Limits
from bot.sandbox.records import SimChat, SimMessage, SimUser
from bot.sandbox.world import World

__all__ = ["Person", "add_sim_routes", "message_view"]


class Person:
    """One Telegram user in the sandbox, with their private chat with the bot."""

    def __init__(self, world: World, user: SimUser) -> None:
        self.world = world
        self.user = user
        self._cursor = 0
        self._seen_edits: dict[int, int] = {}  # message id -> its text edits already expected

    @classmethod
    def create(cls, world: World, first_name: str, **details: Any) -> Person:
        return cls(world, world.add_user(first_name, **details))

    @property
    def chat(self) -> SimChat:
        return self.world.private_chat(self.user)

    # --- doing ---------------------------------------------------------------------

    def send(
        self,
        text: str,
        chat: SimChat | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> SimMessage:
        """Type and send `text`; a leading /command gets its bot_command entity.

        `entities` carries formatting the person applied (bold, italic, links), as
        Telegram clients send it: offsets in UTF-16 code units.
        """
        if not text.strip():
            raise ValueError("Telegram sends no message that is empty or only spaces")
        message = self.world.new_message(
            chat or self.chat, self.user, text=text, entities=_typed(text, entities)
        )
        self.world.push_update(message=message.to_api())
        return message

    def send_sticker(self, emoji: str = "👍") -> SimMessage:
        sticker = {
            "file_id": "SIMSTICKER",
            "file_unique_id": "SIMSTICKERU",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        message = self.world.new_message(self.chat, self.user, sticker=sticker)
        self.world.push_update(message=message.to_api())
        return message

    def edit(self, message: SimMessage, text: str) -> None:
        """Edit one of their own earlier messages, as Telegram lets people do
        (its entities are those of the new text, as Telegram works them out again)."""
        if not text.strip():
            raise ValueError("Telegram keeps no message edited to nothing but spaces")
        message.text = text
        message.entities = _typed(text, None)
        message.edit_date = int(self.world.clock())
        self.world.push_update(edited_message=message.to_api())

    def press(self, label: str, message: SimMessage | None = None) -> SimMessage:
        """Tap the button labelled `label` (on `message`, else the newest that has one)."""
        candidates = [message] if message is not None else reversed(self.messages())
        for candidate in candidates:
            for row in candidate.buttons:
                for button in row:
                    if button["text"] == label and "callback_data" in button:
                        self.press_data(candidate, button["callback_data"])
                        return candidate
        raise LookupError(f"no button {label!r} in {self.user.first_name}'s chat")

    def press_data(self, message: SimMessage, data: str) -> None:
        """Send a callback query with any data, as a forged or outdated client would."""
        query = self.world.new_callback_query(self.user, message, data)
        self.world.push_update(callback_query=query)

    def block(self, blocked: bool = True) -> None:
        """Block (or unblock) the bot: Telegram tells the bot with a my_chat_member update."""
        was = "member" if blocked else "kicked"
        now = "kicked" if blocked else "member"
        self.user.blocked_bot = blocked
        self.world.push_update(
            my_chat_member={
                "chat": self.chat.to_api(),
                "from": self.user.to_api(),
                "date": int(self.world.clock()),
                "old_chat_member": {"user": self.world.bot.to_api(), "status": was},
                "new_chat_member": {
                    "user": self.world.bot.to_api(),
                    "status": now,
                    **({"until_date": 0} if blocked else {}),  # as Telegram sends a ban
                },
            }
        )

    # --- seeing ----------------------------------------------------------------------

    def messages(self) -> list[SimMessage]:
        """The chat as they see it: deletions gone, edits applied."""
        return [m for m in self.world.messages.get(self.user.id, []) if not m.deleted]

    def bot_messages(self) -> list[SimMessage]:
        return [m for m in self.messages() if m.from_bot]

    async def expect(self, contains: str = "", timeout: float = 10.0) -> SimMessage:
        """The next bot message not yet expected that contains `contains`: a new one,
        else an earlier one whose text the bot has changed since (an answer in place)."""
        found: SimMessage = await self.world.wait_for(lambda: self._next(contains), timeout)
        return found

    def _next(self, contains: str) -> SimMessage | None:
        all_messages = self.world.messages.get(self.user.id, [])
        for index in range(self._cursor, len(all_messages)):
            message = all_messages[index]
            if message.from_bot and not message.deleted and contains in message.shown_text:
                self._cursor = index + 1
                self._seen_edits[message.message_id] = message.text_edits
                return message
        for message in all_messages[: self._cursor]:
            changed = message.text_edits > self._seen_edits.get(message.message_id, 0)
            shown = message.from_bot and not message.deleted and contains in message.shown_text
            if changed and shown:
                self._seen_edits[message.message_id] = message.text_edits
                return message
        return None

    async def expect_edit(
        self, message: SimMessage, contains: str = "", timeout: float = 10.0
    ) -> SimMessage:
        """Wait until `message` has been edited (and shows `contains`)."""
        await self.world.wait_for(
            lambda: message.edit_date is not None and contains in message.shown_text, timeout
        )
        return message

    async def expect_toast(self, contains: str = "", timeout: float = 10.0) -> str:
        """The newest answer to a button press shown as a toast."""
        toast: str = await self.world.wait_for(
            lambda: next((t for t in reversed(self.user.toasts) if contains in t), None), timeout
        )
        return toast

    def transcript(self) -> str:
        return "\n".join(
            f"{'bot' if m.from_bot else 'me '}: {m.shown_text} {m.button_labels or ''}".rstrip()
            for m in self.messages()
        )


def message_view(message: SimMessage) -> dict[str, Any]:
    """A message as a person sees it, for the /sim routes and the terminal."""
    return {
        "message_id": message.message_id,
        "from_bot": message.from_bot,
        "text": message.shown_text,
        "buttons": [[button["text"] for button in row] for row in message.buttons],
        "document": message.document.name if message.document else None,
        "photo": bool(message.photo),
        "edited": message.edit_date is not None,
    }


class _Sandbox(Protocol):
    world: World
    limits: Limits
    faults: Faults


def add_sim_routes(app: web.Application, sandbox: _Sandbox) -> None:
    """The user side over HTTP: /sim/users, /sim/updates, /sim/calls, /sim/limits, /sim/faults."""
    world = sandbox.world

    def person(request: web.Request) -> Person:
        user = world.users.get(int(request.match_info["user_id"]))
        if user is None:
            raise web.HTTPNotFound(text="no such user")
        return Person(world, user)

    async def create_user(request: web.Request) -> web.Response:
        body = await request.json()
        user = world.add_user(
            body["first_name"],
            last_name=body.get("last_name"),
            username=body.get("username"),
            language_code=body.get("language_code", "en"),
            user_id=body.get("id"),
        )
        return web.json_response(user.to_api())

    async def send(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response(message_view(person(request).send(body["text"])))

    async def press(request: web.Request) -> web.Response:
        body = await request.json()
        someone = person(request)
        message = None
        if "message_id" in body:
            message = world.find_message(someone.user.id, int(body["message_id"]))
        try:
            pressed = someone.press(body["label"], message)
        except LookupError as exc:
            raise web.HTTPNotFound(text=str(exc)) from None
        return web.json_response(message_view(pressed))

    async def block(request: web.Request) -> web.Response:
        body = await request.json()
        person(request).block(bool(body.get("blocked", True)))
        return web.json_response({"ok": True})

    async def chat(request: web.Request) -> web.Response:
        return web.json_response([message_view(m) for m in person(request).messages()])

    async def redeliver(request: web.Request) -> web.Response:
        """Post an update again (same update_id), as Telegram may to a webhook."""
        try:
            update = world.redeliver(int(request.match_info["update_id"]))
        except (KeyError, ValueError):
            raise web.HTTPNotFound(text="no such update") from None
        return web.json_response(update)

    async def calls(request: web.Request) -> web.Response:
        return web.json_response({"total": len(world.calls), "counts": dict(world.call_counts())})

    async def set_limits(request: web.Request) -> web.Response:
        return web.json_response(_update(sandbox.limits, await request.json()))

    async def set_faults(request: web.Request) -> web.Response:
        changes = await request.json()
        methods = ("fail_methods", "throttle_methods")
        for key in methods:
            if key in changes:
                changes[key] = set(changes[key])
        view = _update(sandbox.faults, changes, skip={"rng"})
        return web.json_response(view | {key: sorted(view[key]) for key in methods})

    app.router.add_post("/sim/users", create_user)
    app.router.add_post("/sim/users/{user_id}/send", send)
    app.router.add_post("/sim/users/{user_id}/press", press)
    app.router.add_post("/sim/users/{user_id}/block", block)
    app.router.add_get("/sim/users/{user_id}/chat", chat)
    app.router.add_post("/sim/updates/{update_id}/redeliver", redeliver)
    app.router.add_get("/sim/calls", calls)
    app.router.add_put("/sim/limits", set_limits)
    app.router.add_put("/sim/faults", set_faults)


def _update(
    target: Any, changes: dict[str, Any], skip: frozenset[str] | set[str] = frozenset()
) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(target)} - set(skip)
    for key, value in changes.items():
        if key not in names:
            raise web.HTTPBadRequest(text=f"unknown setting {key!r}")
        setattr(target, key, value)
    return {name: getattr(target, name) for name in sorted(names)}


def _typed(text: str, entities: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The entities of typed text: the formatting given, and a leading /command."""
    found = list(entities or [])
    if text.startswith("/"):
        found.append({"type": "bot_command", "offset": 0, "length": utf16_len(text.split()[0])})
    return found
