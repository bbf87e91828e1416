"""How a kind of button is spelled on the wire: a template of its fields, written and read strictly.

`Layout("c:n:{section}:{card}", section=ID, card=COUNT)` is the one place a kind says
its callback data; flows/callback_data.py writes and reads every kind through it, so
each field has one spelling and anything else reads as None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import Any

from flows.callbacks import number, parts

__all__ = ["COUNT", "ID", "REST", "SIGNED", "TEXT", "Field", "Layout", "every_or", "flag", "one_of"]

REFUSED = object()  # what `Field.read` gives for text no button carries (None is a value)


@dataclass(frozen=True)
class Field:
    """One field's spelling: `write` a value, `read` the text back (or REFUSED)."""

    write: Callable[[Any], str]
    read: Callable[[str], object]
    rest: bool = False  # the last field, taking the rest of the data, colons and all


def _id(text: str) -> object:
    return text or REFUSED


def _count(text: str, *, signed: bool) -> object:
    """A number as the bot writes one (no "007", no "-0"): strict, and one spelling each."""
    value = number(text, signed=signed)
    return value if value is not None and str(value) == text else REFUSED


ID = Field(str, _id)  # an id: not empty, no colon
TEXT = Field(str, lambda text: text)  # may be empty, no colon
REST = Field(str, _id, rest=True)  # not empty, may hold colons: the last field only
COUNT = Field(str, partial(_count, signed=False))
SIGNED = Field(str, partial(_count, signed=True))


def one_of(kind: type[StrEnum]) -> Field:
    """A member of `kind`, by its value."""
    members = {member.value: member for member in kind}
    return Field(str, lambda text: members.get(text, REFUSED))


def flag(yes: str, no: str) -> Field:
    """A bool spelled `yes` or `no`."""
    spelled = {yes: True, no: False}
    return Field(lambda value: yes if value else no, lambda text: spelled.get(text, REFUSED))


def every_or(field: Field, every: str = "*") -> Field:
    """None (every one) spelled `every`, any other value as `field` spells it."""
    return Field(
        lambda value: every if value is None else field.write(value),
        lambda text: None if text == every else field.read(text),
    )


class Layout:
    """A kind's callback data: literal parts and `{name}` fields, split at ":"."""

    def __init__(self, template: str, **fields: Field) -> None:
        self.prefix = template.partition(":")[0]
        self.parts: tuple[str | tuple[str, Field], ...] = tuple(
            (part[1:-1], fields[part[1:-1]]) if part.startswith("{") else part
            for part in template.split(":")
        )
        named = {part[0] for part in self.parts if isinstance(part, tuple)}
        assert named == set(fields), f"{template} names {sorted(named)}, not {sorted(fields)}"
        last = self.parts[-1]
        self.rest = isinstance(last, tuple) and last[1].rest

    def write(self, value: object) -> str:
        return ":".join(
            part if isinstance(part, str) else part[1].write(getattr(value, part[0]))
            for part in self.parts
        )

    def read(self, data: str) -> dict[str, object] | None:
        """The fields `data` carries, by name; None if it is not of this layout."""
        texts = parts(data, len(self.parts)) if self.rest else data.split(":")
        if texts is None or len(texts) != len(self.parts):
            return None
        values: dict[str, object] = {}
        for text, part in zip(texts, self.parts, strict=True):
            if isinstance(part, str):
                if text != part:
                    return None
                continue
            value = part[1].read(text)
            if value is REFUSED:
                return None
            values[part[0]] = value
        return values
