"""Dates and times as people read them, in their language, through Babel's CLDR data:
"Thursday 21 January 2027, 16:00 (Amsterdam time, UTC+1)", never "21-01 16:00".

`language` is a language code or a `Strings` (which carries one). The zone's words
("({city} time, UTC{offset})") are the UI string `dates.zone`: from the `Strings`
given, else from the shipped content of that language.
"""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_timezone_location

from flows.strings import FALLBACK, Strings

__all__ = ["long_date", "long_date_time", "short_date", "short_date_time", "span", "utc_offset"]

_CONTENT = Path(__file__).resolve().parent.parent / "content"


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a moment to show needs its time zone")
    return moment.astimezone(zone)


def _code(language: str | Strings) -> str:
    return language.language if isinstance(language, Strings) else language


@cache
def _shipped_zone_template(language: str) -> str:
    # Read once per language, only for callers that pass a bare language code.
    for code in (language, FALLBACK):
        path = _CONTENT / code / "strings.toml"
        if path.is_file():
            dates = tomllib.loads(path.read_text(encoding="utf-8")).get("dates", {})
            if "zone" in dates:
                return str(dates["zone"])
    raise KeyError(f"no UI string 'dates.zone' in {language!r} or {FALLBACK!r}")


def utc_offset(offset: timedelta | None) -> str:
    """'UTC+1', 'UTC+5:30', 'UTC-3:30', 'UTC' for none."""
    seconds = int(offset.total_seconds()) if offset else 0
    if not seconds:
        return "UTC"
    sign = "+" if seconds > 0 else "-"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"UTC{sign}{hours}" + (f":{minutes:02d}" if minutes else "")


def _zone_words(local: datetime, zone: ZoneInfo, language: str | Strings) -> str:
    code = _code(language)
    city = get_timezone_location(zone, locale=code, return_city=True)
    offset = utc_offset(local.utcoffset()).removeprefix("UTC")
    if isinstance(language, Strings):
        return language("dates.zone", city=city, offset=offset)
    return _shipped_zone_template(code).format(city=city, offset=offset)


def long_date(moment: datetime, zone: ZoneInfo, language: str | Strings) -> str:
    """Thursday 21 January 2027 / donderdag 21 januari 2027."""
    return format_date(_local(moment, zone), "EEEE d MMMM y", locale=_code(language))


def short_date(moment: datetime, zone: ZoneInfo, language: str | Strings) -> str:
    """21 Jan 2027 / 21 jan 2027: for lists where the weekday would crowd the line."""
    return format_date(_local(moment, zone), "d MMM y", locale=_code(language)).replace(".", "")


def _clock(local: datetime, language: str | Strings) -> str:
    return format_time(local, "HH:mm", locale=_code(language))


def short_date_time(moment: datetime, zone: ZoneInfo, language: str | Strings) -> str:
    """Thu 21 Jan, 16:00 / do 21 jan, 16:00: a button's worth."""
    local = _local(moment, zone)
    day = format_date(local, "EEE d MMM", locale=_code(language)).replace(".", "")
    return f"{day}, {_clock(local, language)}"


def long_date_time(moment: datetime, zone: ZoneInfo, language: str | Strings) -> str:
    """Thursday 21 January 2027, 16:00 (Amsterdam time, UTC+1)."""
    local = _local(moment, zone)
    date = long_date(moment, zone, language)
    return f"{date}, {_clock(local, language)} {_zone_words(local, zone, language)}"


def span(start: datetime, end: datetime, zone: ZoneInfo, language: str | Strings) -> str:
    """Thursday 21 January 2027, 16:00–17:30 (Amsterdam time, UTC+1)."""
    local, until = _local(start, zone), _local(end, zone)
    hours = f"{_clock(local, language)}–{_clock(until, language)}"
    if until.date() != local.date():
        later = long_date(end, zone, language)
        hours = f"{_clock(local, language)} – {later}, {_clock(until, language)}"
    return f"{long_date(start, zone, language)}, {hours} {_zone_words(local, zone, language)}"
