"""UI strings of one language (Telegram-HTML templates) with English underneath."""

from __future__ import annotations

import html
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["FALLBACK", "ContentError", "Markup", "Strings", "flatten", "read_problem"]

FALLBACK = "en"
# Python 3.11's TOMLDecodeError has no .lineno: the place is only in its message.
_TOML_AT = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")


class Markup(str):
    """Text that is already Telegram HTML (built from strings), passed on unescaped."""

    __slots__ = ()


class ContentError(Exception):
    """Content cannot be used; each line names the file and what is wrong."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def read_problem(path: Path, exc: Exception, text: str = "", first_line: int = 1) -> str:
    """Why a TOML file (or the TOML at `first_line` of one) cannot be read: `file:line: what`.

    `text` is the TOML that was parsed: an error "at end of document" is on its last line.
    """
    if isinstance(exc, UnicodeDecodeError):
        line = first_line + exc.object[: exc.start].count(b"\n")
        return f"{path}:{line}: not UTF-8 text (byte {exc.start + 1} of the file)"
    if isinstance(exc, tomllib.TOMLDecodeError):
        message = str(exc)
        at = _TOML_AT.search(message)
        if at is None:
            return f"{path}: not valid TOML: {message}"
        what = message[: at.start()]
        if at.group(1) is None:
            line = first_line + max(len(text.splitlines()), 1) - 1
            return f"{path}:{line}: not valid TOML: {what} (at the end)"
        line = first_line + int(at.group(1)) - 1
        return f"{path}:{line}: not valid TOML: {what} (column {at.group(2)})"
    if isinstance(exc, RecursionError):  # tomllib recurses once per [ or {
        return f"{path}: not valid TOML: nested too deep"
    if isinstance(exc, FileNotFoundError):
        return f"{path}: file not found"
    if isinstance(exc, OSError):
        return f"{path}: cannot be read: {exc.strerror or exc}"
    return f"{path}: {exc}"


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
    # Under an organiser's own content: the shipped English, for a key their copy lacks.
    shipped: Mapping[str, str] = field(default_factory=dict)

    def raw(self, key: str) -> str:
        for layer in (self.own, self.fallback, self.shipped):
            if key in layer:
                return layer[key]
        raise KeyError(f"no UI string {key!r} in {self.language!r} or {FALLBACK!r}")

    def has(self, key: str) -> bool:
        return key in self.own or key in self.fallback or key in self.shipped

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
