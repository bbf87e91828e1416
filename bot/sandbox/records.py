"""What the local Telegram keeps: users, chats, messages, files, callback queries, calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BOT_ID",
    "GROUP_TYPES",
    "SimCall",
    "SimChat",
    "SimFile",
    "SimMessage",
    "SimQuery",
    "SimUser",
]

BOT_ID = 7000000001
GROUP_TYPES = ("group", "supergroup")


@dataclass
class SimUser:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"
    is_bot: bool = False
    blocked_bot: bool = False
    toasts: list[str] = field(default_factory=list)

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data


@dataclass
class SimChat:
    id: int
    type: str
    title: str | None = None
    user: SimUser | None = None
    next_message_id: int = 1

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type in GROUP_TYPES:
            data["title"] = self.title or "Group"
        elif self.user is not None:
            data.update(
                {
                    k: v
                    for k, v in self.user.to_api().items()
                    if k in ("first_name", "last_name", "username")
                }
            )
        return data


@dataclass
class SimFile:
    file_id: str
    file_unique_id: str
    name: str
    mime_type: str
    data: bytes


@dataclass
class SimMessage:
    chat: SimChat
    message_id: int
    sender: SimUser
    date: int
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    reply_markup: dict[str, Any] | None = None
    document: SimFile | None = None
    photo: SimFile | None = None
    sticker: dict[str, Any] | None = None
    edit_date: int | None = None
    text_edits: int = 0  # how often the bot changed its text (an answer given in place)
    deleted: bool = False

    @property
    def from_bot(self) -> bool:
        return self.sender.is_bot

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        if not self.reply_markup:
            return []
        rows: list[list[dict[str, Any]]] = self.reply_markup.get("inline_keyboard", [])
        return rows

    @property
    def button_labels(self) -> list[str]:
        return [button["text"] for row in self.buttons for button in row]

    @property
    def shown_text(self) -> str:
        return self.text if self.text is not None else self.caption or ""

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender.to_api(),
            "chat": self.chat.to_api(),
            "date": self.date,
        }
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = self.entities
        if self.caption is not None:
            data["caption"] = self.caption
            if self.entities:
                data["caption_entities"] = self.entities
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if self.reply_markup:
            data["reply_markup"] = self.reply_markup
        if self.document is not None:
            data["document"] = _file_api(self.document) | {
                "file_name": self.document.name,
                "mime_type": self.document.mime_type,
            }
        if self.photo is not None:
            data["photo"] = [_file_api(self.photo) | {"width": 1, "height": 1}]
        if self.sticker is not None:
            data["sticker"] = self.sticker
        return data


def _file_api(file: SimFile) -> dict[str, Any]:
    return {
        "file_id": file.file_id,
        "file_unique_id": file.file_unique_id,
        "file_size": len(file.data),
    }


@dataclass
class SimQuery:
    """A callback query: who pressed which message, when, and whether it was answered."""

    user: SimUser
    message: SimMessage
    created: float
    answered: bool = False


@dataclass(frozen=True)
class SimCall:
    method: str
    status: int
    chat_id: int | None
    description: str = ""
