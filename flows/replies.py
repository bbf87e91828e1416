"""What a flow answers, as plain values: bot/shell/render.py turns them into Telegram calls."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Button", "ClearButtons", "Document", "Out", "Photo", "Reply", "decode", "encode"]


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: `data` comes back when pressed; a `url` button opens a link."""

    label: str
    data: str = ""
    url: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to show. `html` is Telegram HTML whose user parts are escaped.

    With `edit`, the reply replaces the message whose button was pressed instead of
    arriving as a new message.
    """

    html: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    edit: bool = False


@dataclass(frozen=True, slots=True)
class ClearButtons:
    """Remove the buttons from the message whose button was pressed, or from the
    message `message_id` (an earlier prompt that a typed answer has answered).

    With `stale`, the press came from an outdated button: the text is shown as a
    short notice (a toast) and nothing else changes.
    """

    stale: str = ""
    message_id: int = 0  # 0: the pressed message


@dataclass(frozen=True, slots=True)
class Document:
    """A file to send (a calendar invitation, an export), with an HTML caption."""

    filename: str
    data: bytes
    caption: str = ""


@dataclass(frozen=True, slots=True)
class Photo:
    """A picture to send (a chart), PNG or JPEG, with an HTML caption."""

    data: bytes
    caption: str = ""
    filename: str = "picture.png"


Out = Reply | ClearButtons | Document | Photo


def encode(replies: Sequence[Out]) -> list[dict[str, Any]]:
    """Replies as JSON-ready values (an outbox row keeps them until they are sent)."""
    encoded: list[dict[str, Any]] = []
    for reply in replies:
        if isinstance(reply, Reply):
            rows = [[[b.label, b.data, b.url] for b in row] for row in reply.buttons]
            encoded.append({"t": "reply", "html": reply.html, "buttons": rows, "edit": reply.edit})
        elif isinstance(reply, ClearButtons):
            encoded.append({"t": "clear", "stale": reply.stale, "message_id": reply.message_id})
        else:
            encoded.append(
                {
                    "t": "document" if isinstance(reply, Document) else "photo",
                    "filename": reply.filename,
                    "data": base64.b64encode(reply.data).decode("ascii"),
                    "caption": reply.caption,
                }
            )
    return encoded


def decode(encoded: Sequence[dict[str, Any]]) -> list[Out]:
    """The replies `encode` made, as they were."""
    replies: list[Out] = []
    for item in encoded:
        kind = item["t"]
        if kind == "reply":
            buttons = tuple(
                tuple(Button(label, data, url) for label, data, url in row)
                for row in item["buttons"]
            )
            replies.append(Reply(item["html"], buttons, edit=bool(item["edit"])))
        elif kind == "clear":
            replies.append(ClearButtons(item["stale"], int(item.get("message_id", 0))))
        elif kind == "document":
            data = base64.b64decode(item["data"])
            replies.append(Document(item["filename"], data, item["caption"]))
        else:
            data = base64.b64decode(item["data"])
            replies.append(Photo(data, item["caption"], item["filename"]))
    return replies
