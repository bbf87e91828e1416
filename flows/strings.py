"""UI strings of one language (Telegram-HTML templates) with English underneath."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FALLBACK", "ContentError", "Markup", "Strings", "flatten"]

FALLBACK = "en"


class Markup(str):
    """Text that is already Telegram HTML (built from strings), passed on unescaped."""

    __slots__ = ()


class ContentError(Exception):
    """Content cannot be used; each line names the file and what is wrong."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = str(value)
    return flat


@dataclass(frozen=True)
class Strings:
    """The UI strings of one language, with English underneath."""

    language: str
    own: Mapping[str, str]
    fallback: Mapping[str, str] = field(default_factory=dict)

    def raw(self, key: str) -> str:
        if key in self.own:
            return self.own[key]
        if key in self.fallback:
            return self.fallback[key]
        raise KeyError(f"no UI string {key!r} in {self.language!r} or {FALLBACK!r}")

    def has(self, key: str) -> bool:
        return key in self.own or key in self.fallback

    def __call__(self, key: str, /, **params: object) -> str:
        """The HTML text for `key`, with every parameter HTML-escaped."""
        template = self.raw(key)
        if not params:
            return template
        return template.format(
            **{
                name: v if isinstance(v, Markup) else html.escape(str(v), quote=False)
                for name, v in params.items()
            }
        )

    def plain(self, key: str) -> str:
        """The text for `key` without markup (button labels, command descriptions)."""
        return html.unescape(self.raw(key))

    def missing(self) -> list[str]:
        return sorted(set(self.fallback) - set(self.own))
