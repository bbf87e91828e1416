"""A broadcast's progress message for its organiser (edited as it goes), and its report."""

from __future__ import annotations

import logging

from bot.base.settings import Settings
from bot.services.sender import Notices, SendError
from flows.callback_data import encode
from flows.content import Content
from flows.replies import Button, Reply
from flows.staff_data import BroadcastControl, ControlAction
from flows.strings import Strings
from store import broadcasts as store
from store import participants
from store.broadcasts import Broadcast, BroadcastStatus
from store.db import Store

__all__ = ["Progress", "controls"]

log = logging.getLogger(__name__)


class Progress:
    """Shows each running broadcast's figures in one message, and the report at the end."""

    def __init__(self, settings: Settings, db: Store, content: Content) -> None:
        self.settings = settings
        self.store = db
        self.content = content
        self.notices: Notices | None = None  # set at start: nothing is shown before
        self._shown: dict[int, str] = {}

    def text(self, broadcast: Broadcast, figures: store.Figures, strings: Strings) -> str:
        rate = self.settings.broadcast.rate_per_second
        seconds = int(figures.remaining / rate) + 1
        eta = strings("broadcast.eta", seconds=seconds) if figures.remaining else ""
        return strings(
            "broadcast.progress",
            id=broadcast.id,
            status=strings.plain(f"broadcast.status_{broadcast.status.value}"),
            sent=figures.sent,
            failed=figures.failed,
            blocked=figures.blocked,
            remaining=figures.remaining,
            eta=eta,
        )

    async def _strings_of(self, telegram_id: int | None) -> Strings:
        person = await participants.get(self.store, telegram_id) if telegram_id else None
        return self.content.strings(person.language if person else None)

    async def show(self, broadcast: Broadcast, figures: store.Figures) -> None:
        """Post the progress message, or edit it when its text or buttons changed."""
        if self.notices is None or broadcast.created_by is None:
            return
        if broadcast.status is BroadcastStatus.SCHEDULED:
            return
        strings = await self._strings_of(broadcast.created_by)
        text = self.text(broadcast, figures, strings)
        rows = controls(broadcast, strings)
        if broadcast.progress_message is None:
            try:
                shown = await self.notices.post(broadcast.created_by, Reply(text, rows))
            except SendError as exc:
                log.warning("progress of broadcast %s: %s", broadcast.id, exc)
                return
            await store.set_progress_message(self.store, broadcast.id, broadcast.created_by, shown)
            self._shown[broadcast.id] = text + repr(rows)
            return
        if self._shown.get(broadcast.id) == text + repr(rows):
            return
        self._shown[broadcast.id] = text + repr(rows)
        chat = (
            broadcast.progress_chat if broadcast.progress_chat is not None else broadcast.created_by
        )
        try:  # (an unchanged text is no error)
            await self.notices.edit(chat, broadcast.progress_message, Reply(text, rows))
        except SendError as exc:
            log.warning("progress of broadcast %s: %s", broadcast.id, exc)

    async def report(self, broadcast: Broadcast, figures: store.Figures) -> None:
        """The figures once it is done, as a message of its own."""
        if self.notices is None or broadcast.created_by is None:
            return
        strings = await self._strings_of(broadcast.created_by)
        text = strings(
            "broadcast.report",
            id=broadcast.id,
            sent=figures.sent,
            total=broadcast.total,
            failed=figures.failed,
            blocked=figures.blocked,
            cancelled=figures.cancelled,
        )
        try:
            await self.notices.post(broadcast.created_by, Reply(text))
        except SendError as exc:
            log.warning("report of broadcast %s: %s", broadcast.id, exc)


def controls(broadcast: Broadcast, strings: Strings) -> tuple[tuple[Button, ...], ...]:
    """⏸ Pause / ▶ Resume and ✖ Cancel, as fit its state (/broadcasts and the progress
    message alike; handled by `control_button`)."""
    buttons: list[Button] = []
    if broadcast.status in (BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING):
        buttons.append(_control(strings, "pause", ControlAction.PAUSE, broadcast))
    if broadcast.status is BroadcastStatus.PAUSED:
        buttons.append(_control(strings, "resume", ControlAction.RESUME, broadcast))
    if broadcast.status not in (BroadcastStatus.DONE, BroadcastStatus.CANCELLED):
        buttons.append(_control(strings, "cancel", ControlAction.CANCEL, broadcast))
    return (tuple(buttons),) if buttons else ()


def _control(strings: Strings, key: str, action: ControlAction, broadcast: Broadcast) -> Button:
    label = strings.plain(f"broadcast.{key}").format(id=broadcast.id)
    return Button(label, encode(BroadcastControl(action, broadcast.id)))
