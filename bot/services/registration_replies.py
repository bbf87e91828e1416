"""What the registration desk says: a session's time, the confirmation, the calendar files."""

from __future__ import annotations

from datetime import datetime

from bot.base.settings import SessionSettings
from bot.services.calendar import cancelled_ics, session_ics
from flows.replies import Document, Out, Reply
from flows.sessions import session_when
from flows.strings import Markup, Strings
from store.registrations import Registration, RegistrationStatus

__all__ = ["calendar_file", "cancellation", "confirmation", "when"]


def when(session: SessionSettings, strings: Strings) -> str:
    """The session's date and time as they read it (their language, the session's zone)."""
    return session_when(
        session.starts_at, session.ends_at - session.starts_at, session.zone, strings
    )


def calendar_file(
    session: SessionSettings,
    participant_id: int,
    now: datetime,
    strings: Strings,
    *,
    caption: str,
    with_join_url: bool,
    changes: int,
    update: bool = False,
) -> Document:
    """The session's event for their calendar (`update`: it moved), in their language."""
    ics = session_ics(
        session,
        participant_id,
        now,
        with_join_url=with_join_url,
        language=strings.language,
        changes=changes,
        update=update,
    )
    return Document(f"{session.id}.ics", ics, caption)


def confirmation(
    session: SessionSettings,
    registration: Registration,
    now: datetime,
    strings: Strings,
    *,
    changes: int,
) -> list[Out]:
    """'You're on the waitlist', or 'you're in' with the join link's timing and the event."""
    if registration.status is RegistrationStatus.WAITLISTED:
        text = strings(
            "registration.waitlisted",
            title=session.title_in(strings.language),
            position=registration.position or 0,
            when=Markup(when(session, strings)),
        )
        return [Reply(text)]
    join_now = session.join_url_timing == "now" and bool(session.join_url)
    join = (
        strings("registration.join_now", url=session.join_url)
        if join_now
        else strings("registration.join_later")
    )
    text = strings(
        "registration.confirmed",
        title=session.title_in(strings.language),
        when=Markup(when(session, strings)),
        join=Markup(join),
    )
    caption = strings("registration.ics_caption")
    return [
        Reply(text),
        calendar_file(
            session,
            registration.participant_id,
            now,
            strings,
            caption=caption,
            with_join_url=join_now,
            changes=changes,
        ),
    ]


def cancellation(
    session: SessionSettings, participant_id: int, now: datetime, strings: Strings, *, changes: int
) -> Document:
    """The calendar file that takes the event out of their calendar."""
    ics = cancelled_ics(session, participant_id, now, changes=changes, language=strings.language)
    return Document(f"{session.id}.ics", ics, strings("registration.ics_cancel_caption"))
