"""Session times as a participant reads them: in the session's zone, in their language."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flows.strings import Strings
from flows.when import span

__all__ = ["session_when"]


def session_when(starts_at: datetime, duration: timedelta, zone: ZoneInfo, strings: Strings) -> str:
    """E.g. 'Thursday 21 January 2027, 16:00–17:30 (Amsterdam time, UTC+1)'."""
    return span(starts_at, starts_at + duration, zone, strings)
