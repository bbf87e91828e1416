"""The registration desk: registering, confirming, MOOC logins, waitlist promotions.

What is said right away (the confirmation) is returned as replies; what is owed
to someone else or later (a promotion, a login that follows, an alert to the
organisers) is an outbox row, so it survives a restart and is sent once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.base.settings import SessionSettings, Settings
from bot.services import registration_replies as replies
from bot.services.dispatcher import Dispatcher
from flows.content import Content
from flows.replies import Document, Out, Reply
from flows.strings import Strings
from store import logins, outbox, registrations
from store import roles as role_store
from store.db import Store
from store.outbox import OutboxStatus
from store.participants import Participant
from store.registrations import Details, Registration, RegistrationStatus
from store.roles import Role

__all__ = ["ALERT", "LOGIN", "PROMOTED", "Desk", "Seats", "hand_out_waiting_logins", "owe_login"]

SeatHook = Callable[[int, SessionSettings, datetime], Awaitable[None]]
PROMOTED = "promoted"
LOGIN = "login"
ALERT = "alert"


@dataclass(frozen=True)
class Seats:
    """What is left of a session: free places (None: no limit) and who waits."""

    free: int | None
    waiting: int

    @property
    def full(self) -> bool:
        return self.free == 0

    def line(self, strings: Strings) -> str:
        """'12 places left' or 'full: waitlist, you would be number 4'."""
        if self.free is None:
            return strings("registration.seats_open")
        if self.full:
            return strings("registration.seats_full", position=self.waiting + 1)
        if self.free == 1:
            return strings("registration.seats_one")
        return strings("registration.seats_left", n=self.free)


class Desk:
    """Registration logic shared by the handlers, the outbox and the command line."""

    def __init__(
        self, settings: Settings, store: Store, content: Content, dispatcher: Dispatcher
    ) -> None:
        self.settings = settings
        self.store = store
        self.content = content
        self.dispatcher = dispatcher
        # Called when someone gets a seat (reminders start) or loses it (they stop).
        self.on_seated: list[SeatHook] = []
        self.on_unseated: list[SeatHook] = []

    # --- sessions -----------------------------------------------------------------

    def session(self, session_id: str) -> SessionSettings | None:
        return next((s for s in self.settings.sessions if s.id == session_id), None)

    async def seat(
        self, participant_id: int, session_id: str
    ) -> tuple[SessionSettings, Registration] | None:
        """The session and the participant's seat in it, if they hold one (not waitlisted)."""
        session = self.session(session_id)
        if session is None:
            return None
        for registration in await registrations.live(self.store, participant_id):
            if registration.session_id == session.id and registration.status in (
                RegistrationStatus.REGISTERED,
                RegistrationStatus.ATTENDED,  # marked early: still seated, still reminded
            ):
                return session, registration
        return None

    def open_sessions(self, now: datetime) -> list[SessionSettings]:
        return [s for s in self.settings.sessions if s.is_open(now)]

    async def seats(self, session: SessionSettings) -> Seats:
        counts = await registrations.counts(self.store, session.id)
        seated = counts.get(RegistrationStatus.REGISTERED, 0)
        seated += counts.get(RegistrationStatus.ATTENDED, 0)
        waiting = counts.get(RegistrationStatus.WAITLISTED, 0)
        if session.capacity is None:
            return Seats(None, waiting)
        return Seats(max(session.capacity - seated, 0), waiting)

    when = staticmethod(replies.when)

    async def seated(self, participant_id: int, session: SessionSettings, now: datetime) -> None:
        """They hold a seat (anew): what a seat brings starts (reminders, follow-ups)."""
        for hook in self.on_seated:
            await hook(participant_id, session, now)

    # --- registering ------------------------------------------------------------------

    async def register(
        self, participant: Participant, session: SessionSettings, details: Details, now: datetime
    ) -> list[Out]:
        """Register (or waitlist); the replies: confirmation, calendar file, login."""
        strings = self.content.strings(participant.language)
        registration, created = await registrations.register(
            self.store,
            participant_id=participant.telegram_id,
            session_id=session.id,
            capacity=session.capacity,
            details=details,
            now=now,
        )
        if not created:
            return [Reply(strings("registration.updated"), edit=True)]
        if registration.status is RegistrationStatus.REGISTERED:
            await self.seated(participant.telegram_id, session, now)
        confirmed = await self.confirmation(participant, registration, session, now)
        return [*confirmed, *await self.login(participant, session, now)]

    async def confirmation(
        self,
        participant: Participant,
        registration: Registration,
        session: SessionSettings,
        now: datetime,
    ) -> list[Out]:
        """Their confirmation (or waitlist place), with the event at its current sequence."""
        strings = self.content.strings(participant.language)
        pid = participant.telegram_id
        changes = await registrations.calendar_changes(self.store, pid, session.id)
        return replies.confirmation(session, registration, now, strings, changes=changes)

    async def login(
        self, participant: Participant, session: SessionSettings, now: datetime
    ) -> list[Out]:
        """Their MOOC login: a code from the pool, the URL alone without a pool, or 'follows'."""
        strings = self.content.strings(participant.language)
        code = await logins.assign(self.store, participant.telegram_id, now)
        if code is not None:
            return [Reply(strings("registration.login", code=code, url=session.mooc_url))]
        if await logins.total(self.store) == 0:
            return [Reply(strings("registration.login_url_only", url=session.mooc_url))]
        await self.alert_organisers(now)
        return [Reply(strings("registration.login_follows"))]

    async def restore_promises(self, participant: Participant, now: datetime) -> None:
        """They had blocked the bot (which cancelled what was owed) and are back: owe it again."""
        for registration in await registrations.live(self.store, participant.telegram_id):
            session = self.session(registration.session_id)
            if session is None or registration.status is not RegistrationStatus.REGISTERED:
                continue
            await self.seated(participant.telegram_id, session, now)
        owed = await outbox.for_participant(self.store, participant.telegram_id)
        cancelled_login = any(r.kind == LOGIN and r.status is OutboxStatus.CANCELLED for r in owed)
        if cancelled_login:
            await owe_login(self.store, participant.telegram_id, now, chat_id=participant.chat_id)
        await self.dispatcher.wake()

    async def alert_organisers(self, now: datetime) -> None:
        """Tell every organiser (of settings.toml and granted) the pool is empty, once each —
        once per pool size, not per participant."""
        size = await logins.total(self.store)
        granted = [
            g.telegram_id for g in await role_store.grants(self.store) if g.role is Role.ORGANISER
        ]
        for organiser in dict.fromkeys([*self.settings.roles.organisers, *granted]):
            await outbox.enqueue(
                self.store,
                dedup_key=f"{ALERT}:logins-empty:{size}:{organiser}",
                participant_id=organiser,
                kind=ALERT,
                due_at=now,
                now=now,
                payload={"alert": "logins_exhausted"},
            )
        await self.dispatcher.wake()

    async def cancel(
        self, participant: Participant, session: SessionSettings, now: datetime
    ) -> bool:
        """Cancel; whoever moves up from the waitlist is told through the outbox."""
        cancelled, promoted = await registrations.cancel(
            self.store, participant.telegram_id, session.id, session.capacity, now
        )
        if cancelled is not None:
            for hook in self.on_unseated:
                await hook(participant.telegram_id, session, now)
        await self.announce_promotions(promoted, now)
        return cancelled is not None

    async def cancellation(
        self, participant: Participant, session: SessionSettings, now: datetime
    ) -> Document:
        """The calendar file that takes the event out of their calendar (after `cancel`)."""
        strings = self.content.strings(participant.language)
        pid = participant.telegram_id
        changes = await registrations.calendar_changes(self.store, pid, session.id)
        return replies.cancellation(session, pid, now, strings, changes=changes)

    async def waiting_alerts(self, participant: Participant, now: datetime) -> list[Out]:
        """Alerts kept for an organiser who had not written to the bot: shown now, once."""
        taken = await outbox.take_pending(self.store, participant.telegram_id, ALERT, now)
        replies: list[Out] = []
        for _ in taken:
            replies.extend(await self.alert(participant))
        return replies

    async def alert(self, participant: Participant) -> list[Out]:
        """An alert row's words (the only alert: the login pool is empty)."""
        strings = self.content.strings(participant.language)
        waiting = len(await logins.waiting(self.store))
        return [Reply(strings("registration.logins_exhausted", waiting=waiting))]

    async def announce_promotions(self, promoted: Sequence[Registration], now: datetime) -> None:
        for registration in promoted:
            session = self.session(registration.session_id)
            if session is not None:
                await self.seated(registration.participant_id, session, now)
            await outbox.enqueue(
                self.store,
                dedup_key=f"{PROMOTED}:{registration.id}",
                participant_id=registration.participant_id,
                kind=PROMOTED,
                due_at=now,
                now=now,
                payload={"session": registration.session_id},
            )
        if promoted:
            await self.dispatcher.wake()


async def hand_out_waiting_logins(store: Store, now: datetime) -> int:
    """After an import: a code for everyone still waiting, sent through the outbox.

    Safe from another process (the command line): the running bot's dispatcher
    picks the rows up within a minute.
    """
    handed = 0
    for participant_id in await logins.waiting(store):
        if await logins.assign(store, participant_id, now) is None:
            if await logins.available(store) == 0:
                break
            continue  # forgotten since they were counted as waiting
        await owe_login(store, participant_id, now)
        handed += 1
    return handed


async def owe_login(
    store: Store, participant_id: int, now: datetime, *, chat_id: int | None = None
) -> None:
    """Queue the row that sends them their login code, once (kind `login`)."""
    await outbox.enqueue(
        store,
        dedup_key=f"{LOGIN}:{participant_id}",
        participant_id=participant_id,
        chat_id=chat_id,
        kind=LOGIN,
        due_at=now,
        now=now,
    )
