"""The pre-session digest, as the outbox sends it: owed to each facilitator, per session.

Each facilitator is owed one per session, as an outbox row
(`digest:<session>:<facilitator>:<start>`) due `[digest] before` the start: sent
once, after a restart too. What it says and how it looks is bot/reports/digest_page.py;
/digest and `mooc-bot digest` make it on demand from there.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from bot.base.settings import SessionSettings, Settings
from bot.reports.digest_page import Digest, digest_summary, file_name, make_digest
from bot.services.outbox_kinds import Outcome
from bot.services.registration import Desk
from bot.services.seat_kinds import Opened, SessionKind, same_start
from flows.replies import Document, Reply
from flows.strings import Strings
from store import outbox, participants
from store import roles as role_store
from store.db import Store
from store.outbox import OutboxItem
from store.participants import Participant, ParticipantStatus
from store.roles import Role

__all__ = ["DIGEST", "DigestKind", "Digests", "facilitators"]

DIGEST = "digest"
SHARED = timedelta(minutes=1)


async def facilitators(settings: Settings, store: Store) -> set[int]:
    """Who receives digests: facilitators from the settings and by grant."""
    granted = {g.telegram_id for g in await role_store.grants(store) if g.role is Role.FACILITATOR}
    return set(settings.roles.facilitators) | granted


class Digests:
    """Owes every facilitator one digest per session, `[digest] before` its start."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    async def schedule(self, now: datetime) -> int:
        """Queue what is owed (idempotent: run at start, after a grant, and now and then)."""
        settings = self.desk.settings
        before = settings.digest.before
        if before is None:
            return 0
        store = self.desk.store
        queued = 0
        for row in await outbox.pending_with_prefix(store, f"{DIGEST}:"):
            # `before` changed since it was queued: the row moves to the new time.
            session = self.desk.session(str(row.payload.get("session", "")))
            if session is not None and row.due_at != session.starts_at - before:
                await outbox.move(store, row.id, session.starts_at - before)
        holders = await participants.get_many(store, await facilitators(settings, store))
        for session in settings.sessions:
            if session.starts_at <= now:
                continue
            stamp = int(session.starts_at.timestamp())
            for person in holders.values():
                if person.status is not ParticipantStatus.ACTIVE:
                    continue
                queued += await outbox.enqueue(
                    store,
                    dedup_key=f"{DIGEST}:{session.id}:{person.telegram_id}:{stamp}",
                    participant_id=person.telegram_id,
                    chat_id=person.chat_id,
                    kind=DIGEST,
                    due_at=session.starts_at - before,
                    now=now,
                    payload={"session": session.id, "starts": stamp},
                )
        if queued:
            await self.desk.dispatcher.wake()
        return queued


class DigestKind(SessionKind[Role]):
    """Outbox kind: a facilitator's digest, made when it is due (the latest answers)."""

    def __init__(self, desk: Desk) -> None:
        super().__init__(desk)
        # The facilitators' rows fall due together: one digest made per session and
        # language serves them all (within SHARED), instead of one whole read each.
        self._made: dict[tuple[str, str], tuple[datetime, asyncio.Task[tuple[Digest, str]]]] = {}

    def _digest(
        self, session: SessionSettings, strings: Strings, now: datetime
    ) -> asyncio.Task[tuple[Digest, str]]:
        key = (session.id, strings.language)
        made = self._made.get(key)
        failed = (
            made is not None
            and made[1].done()
            and (made[1].cancelled() or made[1].exception() is not None)
        )
        if made is None or failed or now - made[0] > SHARED or made[0] > now:
            desk = self.desk
            making = make_digest(desk.store, desk.content, strings, desk.settings, session, now)
            made = self._made[key] = (now, asyncio.ensure_future(making))
        return made[1]

    async def seat(
        self, item: OutboxItem, participant: Participant, session: SessionSettings
    ) -> Role | None:
        """Theirs while digests are on, the session has not moved and they facilitate."""
        desk = self.desk
        if desk.settings.digest.before is None or not same_start(item, session):
            return None  # digests were turned off, or the session moved (its own row)
        if participant.telegram_id not in await facilitators(desk.settings, desk.store):
            return None
        return Role.FACILITATOR

    async def compose(self, row: Opened[Role]) -> Outcome:
        strings, session = row.strings, row.session
        digest, page = await asyncio.shield(self._digest(session, strings, row.now))
        caption = strings("digest.caption", title=session.title)
        return [
            Reply(digest_summary(digest, strings)),
            Document(file_name(session), page.encode("utf-8"), caption),
        ]
