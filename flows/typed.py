"""What a typed answer at a choice step means: which choice it names, if any.

People type instead of tapping: "partly", "Partly, because our team…", "2", "👍 convincing".
A label matches ignoring case, emoji and punctuation; a number is the choice's position.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Match", "match_choice"]


@dataclass(frozen=True, slots=True)
class Match:
    value: str
    whole: bool  # the text is only the choice; else it starts with it and says more


def _words(text: str) -> str:
    """Letters and digits only, casefolded, single spaces: "👍 Convincing!" → "convincing"."""
    kept = "".join(
        char if unicodedata.category(char)[0] in "LN" else " " for char in text.casefold()
    )
    return " ".join(kept.split())


def match_choice(typed: str, choices: Sequence[tuple[str, str]]) -> Match | None:
    """The choice (value, label) that `typed` names: its label or value as a whole, its
    number ("1" is the first), or — the longest label first — the start of what it says."""
    words = _words(typed)
    if not words:
        return None
    for number, (value, label) in enumerate(choices, start=1):
        if words in (_words(label), _words(value), str(number)):
            return Match(value, whole=True)
    by_length = sorted(choices, key=lambda choice: -len(_words(choice[1])))
    for value, label in by_length:
        start = _words(label)
        if start and words.startswith(start + " "):
            return Match(value, whole=False)
    return None
