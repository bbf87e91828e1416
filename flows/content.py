"""Loads the words the bot says from content/, one folder per language.

Strings are Telegram-HTML templates kept in `content/<lang>/strings.toml`. A key
missing in a language falls back to English; a key missing everywhere is a bug
and raises `ContentError` at start-up, not in front of a participant.
"""

from __future__ import annotations

import html
import string
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CONTENT_DIR", "FALLBACK", "Content", "ContentError", "Strings", "load_content"]

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
FALLBACK = "en"


class ContentError(Exception):
    """Content cannot be used; each line names the file and what is wrong."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
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

    def __call__(self, key: str, /, **params: object) -> str:
        """The HTML text for `key`, with every parameter HTML-escaped."""
        template = self.raw(key)
        if not params:
            return template
        return template.format(
            **{name: html.escape(str(v), quote=False) for name, v in params.items()}
        )

    def plain(self, key: str) -> str:
        """The text for `key` without markup (button labels, command descriptions)."""
        return html.unescape(self.raw(key))

    def missing(self) -> list[str]:
        return sorted(set(self.fallback) - set(self.own))


@dataclass(frozen=True)
class Content:
    """Everything under content/ for the configured languages."""

    strings_by_language: Mapping[str, Strings]
    default_language: str

    @property
    def languages(self) -> list[str]:
        return list(self.strings_by_language)

    def strings(self, language: str | None) -> Strings:
        if language is not None and language in self.strings_by_language:
            return self.strings_by_language[language]
        return self.strings_by_language[self.default_language]

    def pick_language(self, telegram_code: str | None) -> str:
        """Our language for a Telegram language code such as 'nl' or 'nl-BE'."""
        if telegram_code:
            base = telegram_code.split("-")[0].lower()
            if base in self.strings_by_language:
                return base
        return self.default_language


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ContentError([f"{path}: file not found"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ContentError([f"{path}: not valid TOML: {exc}"]) from None


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def load_content(
    languages: Iterable[str], default_language: str, root: Path = CONTENT_DIR
) -> Content:
    """Load the strings of `languages`; English is always loaded as the fallback."""
    wanted = list(dict.fromkeys([FALLBACK, *languages]))
    english = _flatten(_read_toml(root / FALLBACK / "strings.toml"))
    problems: list[str] = []
    loaded: dict[str, Strings] = {}
    for language in wanted:
        path = root / language / "strings.toml"
        own = english if language == FALLBACK else _flatten(_read_toml(path))
        for key, text in own.items():
            if key not in english:
                problems.append(f"{path}: {key}: not an English key (a typo?)")
            elif _placeholders(text) - _placeholders(english[key]):
                problems.append(f"{path}: {key}: uses a placeholder English does not have")
        loaded[language] = Strings(language, own, english)
    if problems:
        raise ContentError(problems)
    return Content(loaded, default_language)
