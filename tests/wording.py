"""What a person reads for a UI string: its words from content/, by key, as Telegram shows them.

Tests that check what someone was told ask for the string by its key instead of
repeating an English sentence, so an organiser who rewords content/ breaks no test.
"""

from __future__ import annotations

from functools import cache

from bot.base.telegram_html import parse_html
from flows.content import Content, load_content


@cache
def content() -> Content:
    """The shipped content, in every language it has."""
    return load_content(["en", "nl"], "en")


def said(key: str, language: str = "en", **params: object) -> str:
    """The plain text a person reads for `key` (its HTML parsed as Telegram does)."""
    text, _entities = parse_html(content().strings(language)(key, **params))
    return text
