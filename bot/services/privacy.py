"""Participants' control over their data: /mydata, /forget, and the retention period.

Forgetting someone first cancels their registration the usual way (the waitlist
moves up, their reminders are cancelled), then erases every row that names them
(`store/privacy.py`) and writes an audit entry that does not say who.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from bot.base.settings import Settings
from bot.services.registration import Desk
from store import audit, participants, registrations
from store import privacy as store
from store.db import Store

__all__ = ["due_for_deletion", "forget", "my_data", "purge"]


async def my_data(db: Store, telegram_id: int, now: datetime) -> bytes:
    """Everything the bot holds about a person, as a JSON document."""
    document: dict[str, Any] = {
        "exported_at": now.isoformat(),
        "telegram_id": telegram_id,
        "tables": await store.everything(db, telegram_id),
    }
    return json.dumps(document, ensure_ascii=False, indent=2, default=str).encode()


async def forget(desk: Desk, telegram_id: int, now: datetime, *, reason: str) -> bool:
    """Erase a person; their seat goes to the next on the waitlist. False if unknown."""
    db = desk.store
    participant = await participants.get(db, telegram_id)
    if participant is None:
        return False
    for registration in await registrations.live(db, telegram_id):
        session = desk.session(registration.session_id)
        if session is not None:
            await desk.cancel(participant, session, now)
        else:
            await registrations.cancel(db, telegram_id, registration.session_id, None, now)
    await store.erase(db, telegram_id, now)
    await audit.record(
        db, actor_id=None, action="participant.forgotten", now=now, detail={"reason": reason}
    )
    return True


async def due_for_deletion(db: Store, settings: Settings, now: datetime) -> list[int]:
    """Who the retention period has run out for.

    Counted from the end of the participant's session (the latest, if several);
    for those who never registered, from the end of the last configured session.
    Registrations for sessions no longer in the settings do not count.
    """
    days = settings.privacy.delete_after_days
    if days is None or not settings.sessions:
        return []
    cutoff = now - timedelta(days=days)
    ends = {s.id: s.starts_at + timedelta(minutes=s.duration_minutes) for s in settings.sessions}
    last = max(ends.values())
    their_end: dict[int, datetime] = {}
    for pid, session_id in await registrations.every_session_of_everyone(db):
        end = ends.get(session_id)
        if end is not None:
            their_end[pid] = max(their_end.get(pid, end), end)
    return [
        pid
        for pid, joined in await participants.joined_times(db)
        if their_end.get(pid, last) <= cutoff and joined <= cutoff
    ]


async def purge(desk: Desk, settings: Settings, now: datetime) -> int:
    """Apply `[privacy] delete_after_days`; how many people were deleted."""
    due = await due_for_deletion(desk.store, settings, now)
    for telegram_id in due:
        await forget(desk, telegram_id, now, reason="retention")
    return len(due)
