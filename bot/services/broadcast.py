"""Broadcasts: a row per recipient in the outbox, live progress for the organiser, a report.

The dispatcher sends the rows like any other; this module creates them, parks
or releases them (pause, resume, cancel), and every few seconds moves each
running broadcast along, its progress message edited (broadcast_progress.py)
until it is done.
"""

from __future__ import annotations

import asyncio
import html as markup
import logging
import re
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from bot.base.clock import Clock
from bot.base.settings import Settings
from bot.services import audiences
from bot.services.broadcast_progress import Progress
from bot.services.dispatcher import Dispatcher
from bot.services.outbox_kinds import Outcome, Postpone, QuietKind
from bot.services.sender import Notices, Timer, Work
from flows.content import Content
from flows.replies import Button, Reply
from store import audit
from store import broadcasts as store
from store.broadcasts import Broadcast, BroadcastStatus
from store.db import Store
from store.outbox import OutboxItem
from store.participants import Participant

__all__ = [
    "BROADCAST",
    "BroadcastKind",
    "Broadcasts",
    "parse_when",
    "plain_preview",
    "queue_broadcast",
    "staff_ids",
]

log = logging.getLogger(__name__)
BROADCAST = "broadcast"
TICK = 3.0
STATUS_TTL = 1.0  # seconds a recipient's copy may trust the broadcast's status read before
_TAG = re.compile(r"<[^>]*>")
_TIME = re.compile(r"^(?:(today|tomorrow)\s+|(\d{4}-\d{2}-\d{2})[ T])(\d{1,2}):(\d{2})$", re.I)


def parse_when(text: str, now: datetime, settings: Settings) -> datetime | None:
    """'today 17:00', 'tomorrow 09:00' or '2027-01-20 09:00' in the session's zone; None if bad."""
    match = _TIME.match(text.strip())
    if not match:
        return None
    zone = settings.zone
    local_now = now.astimezone(zone)
    word, iso_day, hour, minute = match.groups()
    try:
        if iso_day:
            day = datetime.fromisoformat(iso_day).date()
        else:
            day = (local_now + timedelta(days=1 if word.lower() == "tomorrow" else 0)).date()
        moment = datetime(day.year, day.month, day.day, int(hour), int(minute), tzinfo=zone)
    except ValueError:
        return None
    return moment if moment > now else None


def staff_ids(settings: Settings) -> set[int]:
    """Organisers and facilitators of settings.toml (granted roles the store leaves out itself)."""
    return {*settings.roles.organisers, *settings.roles.facilitators}


def plain_preview(html: str, limit: int = 40) -> str:
    """A broadcast as a short line of plain text: tags gone, entities decoded, cut at a word."""
    text = " ".join(markup.unescape(_TAG.sub(" ", html)).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and not text[limit - 1].isspace():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:—-") + "…"


async def queue_broadcast(
    db: Store,
    *,
    created_by: int | None,
    audience: str,
    html: str,
    versions: Mapping[str, str],
    button: tuple[str, str] | None,
    due_at: datetime,
    now: datetime,
    staff: set[int],
    reflections: Sequence[str],
) -> Broadcast:
    """The broadcast and a row per recipient (never staff), audit-logged (chat and command
    line alike)."""
    recipients = await audiences.recipients(db, audience, staff=staff, reflections=reflections)
    broadcast = await store.create(
        db,
        created_by=created_by,
        audience=audience,
        html=html,
        versions=versions,
        button=button,
        due_at=due_at,
        recipients=recipients,
        now=now,
    )
    await audit.record(
        db,
        actor_id=created_by,
        action="broadcast.created",
        now=now,
        detail={
            "id": broadcast.id,
            "audience": audience,
            "due_at": due_at.isoformat(),
            "languages": sorted(broadcast.versions),
        },
        recipients=len(recipients),
    )
    return broadcast


class Broadcasts:
    def __init__(
        self,
        settings: Settings,
        db: Store,
        content: Content,
        dispatcher: Dispatcher,
        clock: Clock,
    ) -> None:
        self.settings = settings
        self.store = db
        self.content = content
        self.dispatcher = dispatcher
        self.clock = clock
        self.progress = Progress(settings, db, content)
        self._ticking = asyncio.Lock()
        self._current: dict[int, tuple[Broadcast, float]] = {}

    def start(self, notices: Notices, timer: Timer | None) -> None:
        self.progress.notices = notices
        if timer is not None:
            timer.every("broadcasts", TICK, self.tick, first=TICK)

    async def create(
        self,
        *,
        created_by: int | None,
        audience: str,
        html: str,
        button: tuple[str, str] | None,
        due_at: datetime,
        versions: Mapping[str, str] | None = None,
    ) -> Broadcast:
        broadcast = await queue_broadcast(
            self.store,
            created_by=created_by,
            audience=audience,
            html=html,
            versions=versions or {},
            button=button,
            due_at=due_at,
            now=self.clock.now(),
            staff=staff_ids(self.settings),
            reflections=self.content.reflection_ids,
        )
        await self.dispatcher.wake()
        return broadcast

    async def change(
        self, broadcast: Broadcast, status: BroadcastStatus, actor: int | None
    ) -> None:
        now = self.clock.now()
        await store.set_status(self.store, broadcast, status, now)
        self._current.pop(broadcast.id, None)
        await audit.record(
            self.store,
            actor_id=actor,
            action=f"broadcast.{status.value}",
            now=now,
            detail={"id": broadcast.id},
        )
        await self.dispatcher.wake()
        await self._after_commit(self.tick)  # never inside a turn: it waits on the write lock
        if status is BroadcastStatus.CANCELLED:  # the tick no longer shows it: once more here
            await self._after_commit(lambda: self._show_now(broadcast.id))

    async def _after_commit(self, work: Work) -> None:
        notices = self.progress.notices
        if notices is None:  # not started: no turn to wait for
            await work()
        else:
            await notices.after_commit(work)

    async def _show_now(self, broadcast_id: int) -> None:
        async with self._ticking:
            broadcast = await store.get(self.store, broadcast_id)
            if broadcast is not None and broadcast.progress_message is not None:
                await self.progress.show(broadcast, await store.figures(self.store, broadcast))

    async def tick(self) -> None:
        """Move broadcasts along (scheduled → sending → done) and refresh progress messages."""
        async with self._ticking:  # the job and a handler's change() never tick at once
            await self._tick_once()

    async def _tick_once(self) -> None:
        now = self.clock.now()
        for broadcast in await store.unfinished(self.store):
            figures = await store.figures(self.store, broadcast)
            status = broadcast.status
            if status is BroadcastStatus.SCHEDULED and broadcast.due_at <= now:
                status = BroadcastStatus.SENDING
            if status is BroadcastStatus.SENDING and figures.remaining == 0:
                status = BroadcastStatus.DONE
            if status is not broadcast.status:
                if not await store.set_status(self.store, broadcast, status, now, still=True):
                    continue  # paused or cancelled meanwhile (another process): next tick
                broadcast = await store.get(self.store, broadcast.id) or broadcast
            await self.progress.show(broadcast, figures)
            if status is BroadcastStatus.DONE:
                await self.progress.report(broadcast, figures)

    async def current(self, broadcast_id: int) -> Broadcast | None:
        """The broadcast as it stands now, for every recipient's copy.

        Read at most every STATUS_TTL seconds (a thousand copies a second would otherwise
        each read it); a pause or cancel in this process forgets it at once.
        """
        cached = self._current.get(broadcast_id)
        if cached is not None and time.monotonic() - cached[1] < STATUS_TTL:
            return cached[0]
        broadcast = await store.get(self.store, broadcast_id)
        if broadcast is not None:
            self._current[broadcast_id] = (broadcast, time.monotonic())
        return broadcast


def broadcast_message(broadcast: Broadcast, language: str | None) -> Reply:
    """The message exactly as a participant of `language` sees it (and as the preview shows)."""
    html = broadcast.html_for(language)
    return message_reply(html, broadcast.button_label, broadcast.button_url)


def message_reply(html: str, label: str, url: str) -> Reply:
    buttons = ((Button(label, url=url),),) if label and url else ()
    return Reply(html, buttons)


class BroadcastKind(QuietKind):
    """Outbox kind: one recipient's copy of a broadcast."""

    def __init__(self, broadcasts: Broadcasts) -> None:
        self.broadcasts = broadcasts

    async def render(self, item: OutboxItem, participant: Participant, now: datetime) -> Outcome:
        broadcast = await self.broadcasts.current(int(item.payload.get("broadcast", 0)))
        if broadcast is None or broadcast.status is BroadcastStatus.CANCELLED:
            return None
        if broadcast.status is BroadcastStatus.PAUSED:
            # A row that came back (a retry, a restart) while paused waits for the resume.
            return Postpone(datetime.fromisoformat(store.FAR_FUTURE))
        return [broadcast_message(broadcast, participant.language)]
