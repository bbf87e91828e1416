"""A settings problem as lines a person can act on: `file:line: setting: what is wrong`,
the line found in the settings file when the bad value came from it, else the
environment variable that set it."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from datetime import date, time
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_settings import BaseSettings, EnvSettingsSource
from pydantic_settings import SettingsError as SourceError

from bot.base.settings_checks import ENV_PREFIX

__all__ = ["SettingsError", "describe", "toml_line", "unreadable_variable"]

_ARRAY = re.compile(r"^\s*\[\[\s*([^\[\]]+?)\s*\]\]")
_TABLE = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]")
_MISSING = object()


class SettingsError(Exception):
    """A settings problem, already phrased as lines a person can act on."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def toml_line(text: str, loc: Sequence[str | int]) -> int | None:
    """The line of `text` that sets `loc`, e.g. ("sessions", 0, "join_url"); None if none does.

    Reads plain TOML as settings.toml is written: [tables], [[arrays of tables]] and
    `key = value` lines. An item of a list value is on the list's line.
    """
    keys = tuple(loc)
    while keys and isinstance(keys[-1], int) and not _is_array(text, keys[:-1]):
        keys = keys[:-1]
    table: tuple[str | int, ...] = ()
    counts: dict[tuple[str, ...], int] = {}
    in_text = False
    for number, line in enumerate(text.splitlines(), start=1):
        was_in_text = in_text
        in_text ^= line.count('"""') % 2 == 1
        if was_in_text:
            continue
        if array := _ARRAY.match(line):
            name = _dotted(array.group(1))
            counts[name] = counts.get(name, -1) + 1
            table = (*name, counts[name])
            found: tuple[str | int, ...] = table
        elif header := _TABLE.match(line):
            table = found = _dotted(header.group(1))
        elif "=" in line and not line.lstrip().startswith("#"):
            found = (*table, *_dotted(line.split("=", 1)[0]))
        else:
            continue
        if keys and found[: len(keys)] == keys:
            return number
    return None


def _is_array(text: str, keys: tuple[str | int, ...]) -> bool:
    """Whether `keys` names an array of tables ([[sessions]]), whose items are numbered."""
    name = ".".join(str(k) for k in keys)
    return any(
        (m := _ARRAY.match(line)) and ".".join(_dotted(m.group(1))) == name
        for line in text.splitlines()
    )


def _dotted(key: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in key.split("."))


def describe(error: Mapping[str, Any], path: Path, text: str, data: Mapping[str, Any]) -> str:
    """One pydantic error as one line: where the value was set, the setting, what is wrong."""
    loc = tuple(error["loc"])
    what = _what(error)
    location = _location(loc)
    from_file = _value_at(data, loc)
    if from_file is not _MISSING and error.get("input", from_file) in (from_file, None):
        line = toml_line(text, loc)
        if line is not None:
            return f"{path}:{line}: {location}: {what}"
    variable = _variable(loc)
    if variable is not None:
        return f"{variable}: {what}"
    return f"{path}: {location}: {what}" if location else f"{path}: {what}"


def _what(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown setting"
    if kind == "timezone_aware":
        return "needs a time zone offset, e.g. 2027-01-21T16:00:00+01:00"
    if kind == "missing":
        return "is required"
    what = str(error["msg"]).removeprefix("Value error, ")
    value = error.get("input")
    if "input" not in error or isinstance(value, dict | list):
        return what
    shown = value.isoformat() if isinstance(value, date | time) else repr(value)
    if isinstance(value, str) and shown[:30] in what:  # the message names it already
        return what
    return f"{what} (got {shown[:60] + '…' if len(shown) > 61 else shown})"


def _value_at(data: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc:
        in_table = isinstance(data, Mapping) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and part < len(data)
        if not (in_table or in_list):
            return _MISSING
        data = data[part]
    return data


def _variable(loc: tuple[Any, ...]) -> str | None:
    """The environment variable that set the value at `loc`, if one is set."""
    names = [str(p).upper() for p in loc if isinstance(p, str)]
    for depth in range(len(names), 0, -1):
        variable = ENV_PREFIX + "__".join(names[:depth])
        if variable in os.environ:
            return variable
    return None


def _location(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def unreadable_variable(exc: SourceError, settings_cls: type[BaseSettings]) -> str:
    """pydantic-settings' "error parsing value for field" as one line naming the variable.

    It names only the top-level field, so each variable under it is parsed alone, by
    pydantic-settings itself, to find the one that is not JSON.
    """
    source = EnvSettingsSource(settings_cls)
    field = str(exc).split('"')[1] if str(exc).count('"') >= 2 else ""
    prefix = (ENV_PREFIX + field).lower()
    found = {k: v for k, v in source.env_vars.items() if k == prefix or k.startswith(prefix + "__")}
    for key, value in sorted(found.items()):
        source.env_vars = {key: value}
        try:
            source()
        except SourceError:
            name = next((n for n in os.environ if n.lower() == key), key.upper())
            return f"{name}: not valid JSON ({_json_example(settings_cls, key)})"
    variable = (ENV_PREFIX + field).upper()
    return f"{variable}: cannot be read: {exc.__cause__ or exc} (in the environment or .env)"


def _json_example(settings_cls: type[BaseModel], key: str) -> str:
    """What the JSON for the setting at environment variable `key` looks like."""
    annotation: Any = settings_cls
    for part in key[len(ENV_PREFIX) :].split("__"):
        fields = getattr(annotation, "model_fields", {})
        if part not in fields:
            return 'a table looks like {"key": "value"}'
        annotation = fields[part].annotation
    items = getattr(annotation, "__args__", ())
    if getattr(annotation, "__origin__", None) is not list:
        return 'a table looks like {"key": "value"}'
    item = getattr(items[0], "__origin__", items[0]) if items else str
    if item is int:
        return "a list of ids looks like [1, 2]"
    if isinstance(item, type) and issubclass(item, BaseModel):
        return 'a list of tables looks like [{"key": "value"}]'
    return 'a list looks like ["a", "b"]'
