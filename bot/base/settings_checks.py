"""What bot/base/settings.py checks beyond a type, and how a problem is worded.

Durations ("7d"), time zones and web addresses are checked here; every problem
becomes one line, `file:line: setting: what is wrong`, the line found in the
settings file when the bad value came from it, else the environment variable
that set it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, HttpUrl, TypeAdapter, ValidationError
from pydantic_settings import BaseSettings, EnvSettingsSource
from pydantic_settings import SettingsError as SourceError

__all__ = [
    "ENV_PREFIX",
    "describe",
    "duration",
    "known_zone",
    "not_a_bool",
    "optional_duration",
    "representable_time",
    "toml_line",
    "unreadable_variable",
    "web_address",
]

ENV_PREFIX = "MOOC_BOT_"
_DURATION = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
_MINUTES = {"d": 24 * 60, "h": 60, "m": 1}
_LONGEST = timedelta(days=3650)  # longer is a typo, and would overflow a date
_HTTP: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)
_ARRAY = re.compile(r"^\s*\[\[\s*([^\[\]]+?)\s*\]\]")
_TABLE = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]")
_MISSING = object()
# Reminders, digests and follow-ups are up to 3650 days either side of a session: a year
# near 1 or 9999 would overflow a datetime only when the bot runs, so it is refused here.
_YEARS = range(1900, 9001)


def duration(item: Any) -> Any:
    """ "7d", "1h", "30m" as a timedelta (an already built timedelta passes)."""
    if isinstance(item, timedelta):
        return item
    match = _DURATION.match(item) if isinstance(item, str) else None
    if not match:
        raise ValueError(f"{item!r} is not a duration like 7d, 1h or 30m")
    minutes = int(match.group(1)) * _MINUTES[match.group(2)]
    if minutes > _LONGEST.total_seconds() // 60:
        raise ValueError(f"{item!r} is longer than {_LONGEST.days} days")
    return timedelta(minutes=minutes)


def optional_duration(value: Any) -> Any:
    """A duration, or "off" (None)."""
    if value in ("off", "", None):
        return None
    try:
        return duration(value)
    except ValueError as exc:
        raise ValueError(f'{exc}, or "off"') from None


def not_a_bool(value: Any) -> Any:
    """A number must not be written as true/false (pydantic would read true as 1)."""
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    return value


def representable_time(value: datetime) -> datetime:
    """A session time from 1900 to 9000: its end and reminders must fit in a datetime."""
    if value.year not in _YEARS:
        raise ValueError(f"must be in a year from {_YEARS.start} to {_YEARS.stop - 1}")
    return value


def known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: "Europe", a folder
        shown = repr(value) if len(value) <= 40 else repr(value[:40] + "…")
        raise ValueError(f"unknown time zone {shown} (use a name like Europe/Amsterdam)") from exc
    return value


def web_address(value: str) -> str:
    """ "" (none) or an http:// or https:// address, kept as written."""
    if not value:
        return value
    if not value.lower().startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// address")
    if any(c.isspace() for c in value):
        raise ValueError("must not contain spaces")
    try:
        _HTTP.validate_python(value)
    except ValidationError as exc:
        reason = str(exc.errors()[0]["msg"]).removeprefix("Input should be a valid URL, ")
        raise ValueError(f"is not a valid web address: {reason}") from None
    return value


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
