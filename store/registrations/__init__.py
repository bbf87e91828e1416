"""Registrations for sessions: capacity, waitlist order, cancellation and promotion.

The rows (`item`), the changes to seats (`seats`) and the reads (`queries`) live
apart; everything is imported from here.
"""

from store.registrations.item import (
    Details,
    Registration,
    RegistrationStatus,
    registration_of,
)
from store.registrations.queries import (
    calendar_changes,
    counts,
    every_session_of_everyone,
    for_session,
    live,
)
from store.registrations.seats import (
    cancel,
    fill_free_places,
    mark_attended,
    register,
    set_attended,
)

__all__ = [
    "Details",
    "Registration",
    "RegistrationStatus",
    "calendar_changes",
    "cancel",
    "counts",
    "every_session_of_everyone",
    "fill_free_places",
    "for_session",
    "live",
    "mark_attended",
    "register",
    "registration_of",
    "set_attended",
]
