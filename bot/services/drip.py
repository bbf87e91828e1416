"""Course drips: after a participant stops, offer them the next part once, by day.

A drip is an outbox row keyed by the participant's position in the course, so a
position is offered at most once, and moving on replaces the pending offer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.base.settings import Settings
from bot.services.dispatcher import Dispatcher
from bot.services.outbox_kinds import Postpone
from flows.content import Content
from flows.course import Progress
from flows.drip import QuietHours, drip_offer
from flows.replies import Out
from store import course as course_store
from store import outbox, participants
from store.db import Store
from store.outbox import OutboxItem
from store.participants import Participant, ParticipantStatus

__all__ = ["DRIP", "Drips", "load_progress"]

DRIP = "drip"


async def load_progress(store: Store, participant_id: int) -> Progress:
    stored = await course_store.load(store, participant_id)
    return Progress(stored.section_id, stored.card, stored.finished)


class Drips:
    """Schedules drip offers and renders them when due (an outbox kind)."""

    def __init__(
        self, settings: Settings, store: Store, content: Content, dispatcher: Dispatcher
    ) -> None:
        self.store = store
        self.content = content
        self.dispatcher = dispatcher
        self.interval = timedelta(hours=settings.course.drip_interval_hours)
        self.max_nudges = settings.course.max_nudges
        self.quiet = QuietHours(
            settings.course.quiet_hours_start, settings.course.quiet_hours_end, settings.zone
        )

    def _wanted(self, participant: Participant, progress: Progress) -> bool:
        course = self.content.course(participant.language)
        return (
            not participant.drips_paused
            and participant.status is ParticipantStatus.ACTIVE
            and participant.nudges_sent < self.max_nudges
            and any(s.id not in progress.finished for s in course.sections)
        )

    async def schedule(self, participant: Participant, progress: Progress, now: datetime) -> None:
        """After activity: (re)place the one pending offer, due an interval from now."""
        if not self._wanted(participant, progress):
            await outbox.cancel_pending(self.store, participant.telegram_id, DRIP)
            return
        position = f"{progress.section_id}:{progress.card}:{len(progress.finished)}"
        await outbox.enqueue(
            self.store,
            dedup_key=f"{DRIP}:{participant.telegram_id}:{position}",
            participant_id=participant.telegram_id,
            chat_id=participant.chat_id,
            kind=DRIP,
            due_at=self.quiet.due(now, self.interval),
            now=now,
            payload={"position": position},
            replace_kind=True,
        )
        await self.dispatcher.wake()

    async def render(
        self, item: OutboxItem, participant: Participant, now: datetime
    ) -> Sequence[Out] | Postpone | None:
        progress = await load_progress(self.store, participant.telegram_id)
        position = f"{progress.section_id}:{progress.card}:{len(progress.finished)}"
        if position != item.payload.get("position") or not self._wanted(participant, progress):
            return None
        if self.quiet.contains(now):
            return Postpone(self.quiet.next_allowed(now))
        strings = self.content.strings(participant.language)
        offer = drip_offer(self.content.course(participant.language), strings, progress)
        return [offer] if offer is not None else None

    async def sent(self, item: OutboxItem, participant: Participant, now: datetime) -> None:
        await participants.count_nudge(self.store, participant.telegram_id)
