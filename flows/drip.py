"""When to offer a participant the next part of the course, and what to say. Pure."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flows.callback_data import encode
from flows.course import Course, Progress
from flows.participant_data import CourseResume
from flows.replies import Button, Reply
from flows.strings import Strings

__all__ = ["QuietHours", "drip_offer"]


class QuietHours:
    """Hours of the night (in one time zone) in which the bot sends no drip messages."""

    def __init__(self, start: time, end: time, zone: ZoneInfo) -> None:
        self.start, self.end, self.zone = start, end, zone

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_allowed(self, moment: datetime) -> datetime:
        """`moment` itself, or the end of the quiet hours it falls in."""
        if not self.contains(moment):
            return moment
        local = moment.astimezone(self.zone)
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end = (local + timedelta(days=1)).replace(
                hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0
            )
        return end.astimezone(moment.tzinfo)

    def due(self, last_activity: datetime, interval: timedelta) -> datetime:
        return self.next_allowed(last_activity + interval)


def drip_offer(course: Course, strings: Strings, progress: Progress) -> Reply | None:
    """Offer to continue the part they stopped in, or the next unread part; None when done."""
    button = ((Button(strings.plain("course.drip_button"), encode(CourseResume())),),)
    current = course.section(progress.section_id or "")
    if current is not None and current.id not in progress.finished:
        return Reply(strings("course.drip_resume", title=current.title), button)
    unread = [s for s in course.sections if s.id not in progress.finished]
    if not unread:
        return None
    following = course.after(current.id) if current is not None else None
    target = following if following is not None and following in unread else unread[0]
    return Reply(strings("course.drip_next", title=target.title), button)
