"""What a setting must be beyond its type: durations ("7d"), time zones, web addresses."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import HttpUrl, TypeAdapter, ValidationError

__all__ = [
    "ENV_PREFIX",
    "duration",
    "known_zone",
    "not_a_bool",
    "optional_duration",
    "representable_time",
    "web_address",
]

ENV_PREFIX = "MOOC_BOT_"
_DURATION = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
_MINUTES = {"d": 24 * 60, "h": 60, "m": 1}
_LONGEST = timedelta(days=3650)  # longer is a typo, and would overflow a date
_HTTP: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)
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
