"""What a flow answers, as plain values: bot/render.py turns them into Telegram calls."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Button", "ClearButtons", "Document", "Out", "Photo", "Reply"]


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
    """Remove the buttons from the message whose button was pressed.

    With `stale`, the press came from an outdated button: the text is shown as a
    short notice (a toast) and nothing else changes.
    """

    stale: str = ""


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
