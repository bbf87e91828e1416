"""Calendar invitations (.ics) for a session, made with the icalendar library.

The UID is stable per participant and session, so a later file (the session
moved, the registration was cancelled) changes the event in the calendar
instead of adding one. Calendars take a later file only if its SEQUENCE is
higher: `sequence` adds the minutes since the epoch (the scheme of the first
invitations, so files sent before keep their order) to a count of the changes
stored for that person and session, which grows by one at every change — two
files in the same minute still rise.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Alarm, Calendar, Event

from bot.base.settings import SessionSettings

__all__ = ["cancelled_ics", "sequence", "session_ics"]

PRODUCT = "-//The Magic of a Learning Culture//mooc-facilitator-bot//EN"


def sequence(now: datetime, changes: int) -> int:
    """Never lower for a later file, strictly higher after one more change."""
    return int(now.timestamp()) // 60 + changes


def _calendar(method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    return calendar


def _event(
    session: SessionSettings, participant_id: int, now: datetime, changes: int, title: str
) -> Event:
    event = Event()
    event.add("uid", f"{session.id}.{participant_id}@mooc-facilitator-bot")
    event.add("sequence", sequence(now, changes))
    # In UTC: settings carry fixed offsets that calendar programs would read as floating times.
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", session.starts_at.astimezone(UTC))
    event.add("dtend", session.ends_at.astimezone(UTC))
    event.add("summary", title)
    return event


def session_ics(
    session: SessionSettings,
    participant_id: int,
    now: datetime,
    *,
    with_join_url: bool,
    changes: int = 0,
    update: bool = False,
    language: str | None = None,
) -> bytes:
    """One VEVENT for the session, with a reminder an hour before; `update`: it moved."""
    title = session.title_in(language) if language else session.title
    calendar = _calendar("REQUEST" if update else "PUBLISH")
    event = _event(session, participant_id, now, changes, title)
    description = session.description_in(language) if language else session.description
    if with_join_url and session.join_url:
        event.add("url", session.join_url)
        event.add("location", session.join_url)
        description = f"{description}\n\nJoin: {session.join_url}".strip()
    if session.mooc_url:
        description = f"{description}\n\nMOOC: {session.mooc_url}".strip()
    event.add("description", description)
    event.add("status", "CONFIRMED")
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", title)
    alarm.add("trigger", timedelta(hours=-1))
    event.add_component(alarm)
    calendar.add_component(event)
    return bytes(calendar.to_ical())


def cancelled_ics(
    session: SessionSettings,
    participant_id: int,
    now: datetime,
    *,
    changes: int,
    language: str | None = None,
) -> bytes:
    """The same event, cancelled: calendars that have it remove it or strike it through."""
    title = session.title_in(language) if language else session.title
    calendar = _calendar("CANCEL")
    event = _event(session, participant_id, now, changes, title)
    event.add("status", "CANCELLED")
    calendar.add_component(event)
    return bytes(calendar.to_ical())
