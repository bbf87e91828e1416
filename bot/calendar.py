"""Calendar invitations (.ics) for a session, made with the icalendar library.

The UID is stable per participant and session, so sending the file again (after
a change of time, say) updates the event in the calendar instead of adding one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Alarm, Calendar, Event

from bot.settings import SessionSettings

__all__ = ["session_ics"]

PRODUCT = "-//The Magic of a Learning Culture//mooc-facilitator-bot//EN"


def session_ics(
    session: SessionSettings, participant_id: int, now: datetime, *, with_join_url: bool
) -> bytes:
    """One VEVENT for the session, with a reminder an hour before."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{session.id}.{participant_id}@mooc-facilitator-bot")
    # Later sends carry a higher sequence, so calendars replace the earlier copy.
    event.add("sequence", int(now.timestamp()) // 60)
    # In UTC: settings carry fixed offsets that calendar programs would read as floating times.
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", session.starts_at.astimezone(UTC))
    event.add("dtend", session.ends_at.astimezone(UTC))
    event.add("summary", session.title)
    description = session.description
    if with_join_url and session.join_url:
        event.add("url", session.join_url)
        event.add("location", session.join_url)
        description = f"{description}\n\nJoin: {session.join_url}".strip()
    if session.mooc_url:
        description = f"{description}\n\nMOOC: {session.mooc_url}".strip()
    event.add("description", description)
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", session.title)
    alarm.add("trigger", timedelta(hours=-1))
    event.add_component(alarm)
    calendar.add_component(event)
    return bytes(calendar.to_ical())
