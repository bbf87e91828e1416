"""What a request to the local Telegram carries, checked as Telegram checks it: the
parameters (form, JSON or multipart), formatted text and inline keyboards, and the
error a refusal answers with."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp.web_request import FileField

from bot.base.telegram_html import HtmlError, parse_html, utf16_len

__all__ = ["ApiError", "Params", "bad_request", "formatted", "keyboard"]

MAX_CALLBACK_DATA = 64
BUTTON_URL_SCHEMES = ("http", "https", "tg")
_HOST = re.compile(r"[\w.-]+|[0-9a-fA-F:.]+")  # a name (IDN letters too) or an IP address


class ApiError(Exception):
    """An error answer: HTTP status, Telegram's description, optional retry_after."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


def bad_request(text: str) -> ApiError:
    return ApiError(400, f"Bad Request: {text}")


@dataclass
class Params:
    """Method parameters from a query string, a form, a multipart body or JSON."""

    values: dict[str, Any]

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None or isinstance(value, FileField):
            return default
        return value if isinstance(value, str) else json.dumps(value)

    def integer(self, name: str, *, required: bool = False) -> int | None:
        value = self.values.get(name)
        if value in (None, ""):
            if required:
                raise bad_request(f"{name} is empty")
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def json(self, name: str) -> Any:
        value = self.values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def file(self, name: str) -> FileField | str | None:
        value = self.values.get(name)
        return value if isinstance(value, FileField | str) else None


def formatted(
    params: Params, field: str, limit: int, empty: str
) -> tuple[str, list[dict[str, Any]]]:
    raw = params.text(field) or ""
    parse_mode = (params.text("parse_mode") or "").lower()
    if parse_mode == "html":
        try:
            text, entities = parse_html(raw)
        except HtmlError as exc:
            raise bad_request(str(exc)) from None
    elif parse_mode:
        raise bad_request(f"unsupported parse_mode {params.text('parse_mode')!r} in the sandbox")
    else:
        text = raw
        entities = params.json("entities" if field == "text" else "caption_entities") or []
    if not text.strip():
        if empty:
            raise bad_request(empty)
        return "", []
    if utf16_len(text) > limit:
        raise bad_request(
            "message is too long" if field == "text" else "message caption is too long"
        )
    return text, entities


def keyboard(params: Params) -> dict[str, Any] | None:
    markup = params.json("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            if not button.get("text"):
                raise bad_request("text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                raise bad_request("BUTTON_DATA_INVALID")
            if data is None and "url" not in button:
                raise bad_request(
                    'can\'t find field "callback_data" or "url" in inline keyboard button'
                )
            if "url" in button and not _button_url_ok(button["url"]):
                raise bad_request(
                    f"inline keyboard button URL '{button['url']}' is invalid: Wrong HTTP URL"
                )
    return markup


def _button_url_ok(url: Any) -> bool:
    """Telegram's check of a link button: http(s):// or tg:// with a host, no spaces."""
    if not isinstance(url, str) or not url or any(c.isspace() or not c.isprintable() for c in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not one
    except ValueError:
        return False
    scheme = parts.scheme.lower()
    if scheme not in BUTTON_URL_SCHEMES:
        return False
    if scheme == "tg":
        return bool(parts.netloc)  # tg://resolve?domain=…, tg://user?id=…
    return bool(parts.hostname) and _HOST.fullmatch(parts.hostname or "") is not None
