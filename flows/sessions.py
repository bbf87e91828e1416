"""Session times as a participant reads them: in the session's zone, with its UTC offset."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flows.strings import Strings

__all__ = ["session_when"]


def session_when(starts_at: datetime, duration: timedelta, zone: ZoneInfo, strings: Strings) -> str:
    """E.g. 'Thursday 21 January 2027, 16:00–17:30 (UTC+01:00, Europe/Amsterdam)'."""
    local = starts_at.astimezone(zone)
    end = local + duration
    offset = local.strftime("%z")
    return strings(
        "dates.when",
        weekday=strings.plain("dates.weekdays").split()[local.weekday()],
        day=local.day,
        month=strings.plain("dates.months").split()[local.month - 1],
        year=local.year,
        start=local.strftime("%H:%M"),
        end=end.strftime("%H:%M"),
        offset=f"UTC{offset[:3]}:{offset[3:]}",
        zone=zone.key,
    )
