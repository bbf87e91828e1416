"""The registration desk's outbox kinds: a promotion from the waitlist, a login, an alert."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from bot.services.outbox_kinds import Outcome, PatientKind, QuietKind
from bot.services.registration import Desk
from bot.services.seat_kinds import AtStart, Opened, SeatKind
from flows.replies import Reply
from store import logins, registrations
from store.outbox import OutboxItem
from store.participants import Participant
from store.registrations import Registration

__all__ = ["AlertKind", "LoginKind", "PromotedKind"]


class PromotedKind(SeatKind):
    """Outbox kind: 'a place came free and you're in', with the full confirmation (a seat
    given up again in the meantime drops it)."""

    at_start: ClassVar[AtStart] = AtStart.SENT

    async def compose(self, row: Opened[Registration]) -> Outcome:
        confirmed = await self.desk.confirmation(row.participant, row.seat, row.session, row.now)
        return [Reply(row.strings("registration.promoted")), *confirmed]


class LoginKind(QuietKind):
    """Outbox kind: the MOOC login that 'follows' once codes were imported."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    async def render(self, item: OutboxItem, participant: Participant, now: datetime) -> Outcome:
        code = await logins.code_for(self.desk.store, participant.telegram_id)
        if code is None:
            return None
        live = await registrations.live(self.desk.store, participant.telegram_id)
        session = self.desk.session(live[0].session_id) if live else None
        url = session.mooc_url if session else ""
        strings = self.desk.content.strings(participant.language)
        return [Reply(strings("registration.login", code=code, url=url))]


class AlertKind(PatientKind):
    """Outbox kind: a warning to an organiser (e.g. the login pool is empty); it waits for
    an organiser who has not written to the bot yet, and comes at their /start."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    async def render(self, item: OutboxItem, participant: Participant, now: datetime) -> Outcome:
        return await self.desk.alert(participant)
