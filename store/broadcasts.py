"""Broadcasts: the message, its audience and state; delivery rows live in the outbox."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from store.db import Store, from_db, to_db
from store.rows import Row
from store.spelling import json_text

__all__ = [
    "Broadcast",
    "BroadcastStatus",
    "Figures",
    "audience_ids",
    "create",
    "figures",
    "get",
    "recent",
    "set_progress_message",
    "set_status",
    "unfinished",
]

FAR_FUTURE = "9999-12-31T00:00:00+00:00"
MINE = "substr(dedup_key, 1, ?) = ?"  # the rows of one broadcast, by key prefix


class BroadcastStatus(StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class Broadcast:
    id: int
    created_by: int | None
    audience: str
    html: str
    button_label: str
    button_url: str
    due_at: datetime
    status: BroadcastStatus
    total: int
    progress_chat: int | None
    progress_message: int | None
    versions: Mapping[str, str]  # language → HTML, besides the default-language `html`

    def html_for(self, language: str | None) -> str:
        """The version of `language`, the default-language message where none was given."""
        return self.versions.get(language or "", "") or self.html

    @property
    def prefix(self) -> str:
        """The de-duplication key prefix of this broadcast's outbox rows."""
        return f"broadcast:{self.id}:"


@dataclass(frozen=True, slots=True)
class Figures:
    sent: int
    failed: int
    blocked: int
    cancelled: int
    remaining: int


def _broadcast(row: Row) -> Broadcast:
    return Broadcast(
        id=row["id"],
        created_by=row["created_by"],
        audience=row["audience"],
        html=row["html"],
        button_label=row["button_label"],
        button_url=row["button_url"],
        due_at=from_db(row["due_at"]),
        status=BroadcastStatus(row["status"]),
        total=row["total"],
        progress_chat=row["progress_chat"],
        progress_message=row["progress_message"],
        versions=json.loads(row["versions"] or "{}"),
    )


_LIVE = "SELECT participant_id FROM registrations WHERE status != 'cancelled'"
_ANSWERED = "SELECT participant_id FROM answers WHERE flow_id IN ({flows}) AND value != ''"

# Audiences: SQL over participants (p) for the active people in each group; the names
# are bot/services/audiences.py's. {flows}: placeholders for the reflection flows' ids.
_AUDIENCES = {
    "everyone": "1 = 1",
    "registered": "p.telegram_id IN (SELECT participant_id FROM registrations"
    " WHERE status IN ('registered', 'attended'))",
    "waitlisted": "p.telegram_id IN (SELECT participant_id FROM registrations"
    " WHERE status = 'waitlisted')",
    "unregistered": "p.telegram_id NOT IN (SELECT participant_id FROM registrations"
    " WHERE status != 'cancelled')",
    "unfinished": "p.telegram_id NOT IN (SELECT participant_id FROM flow_states"
    " WHERE flow_id IN ({flows}) AND {phase} = 'done')",
    "not_started": f"p.telegram_id IN ({_LIVE}) AND p.telegram_id NOT IN ({_ANSWERED})",
}
# Audiences of a prefix and an argument (`session_<id>`): the argument is the last `?`.
_BY_PREFIX = {
    "missing_": f"p.telegram_id IN ({_LIVE}) AND p.telegram_id NOT IN ({_ANSWERED}"
    " AND question = ?)",
    "read_": "p.telegram_id IN (SELECT participant_id FROM sections_read WHERE section_id = ?)"
    f" AND p.telegram_id NOT IN ({_LIVE})",
    "lang_": "p.language = ?",
    "session_": "p.telegram_id IN (SELECT participant_id FROM registrations"
    " WHERE session_id = ? AND status != 'cancelled')",
}


async def audience_ids(
    store: Store, audience: str, *, staff: Collection[int], reflections: Sequence[str]
) -> list[int]:
    """Active participants (never the blocked, never staff) in an audience, oldest first.

    Staff are the `staff` ids (the settings' organisers and facilitators) and everyone
    with a granted role: they run the course and are not its participants.

    Besides the fixed ones: lang_<code>, session_<id>, missing_<question> (registered
    or waitlisted, that question not answered), read_<section> (read that part of
    the course, not registered) and not_started (registered, no answer at all).
    Answered and finished mean in one of the `reflections` (the reflection flows' ids).
    """
    prefix = next((p for p in _BY_PREFIX if audience.startswith(p)), None)
    if prefix is not None:
        sql, argument = _BY_PREFIX[prefix], [audience.removeprefix(prefix)]
    else:
        sql, argument = _AUDIENCES[audience], []
    condition = sql.format(
        flows=", ".join("?" * len(reflections)), phase=json_text(store.dialect, "state", "phase")
    )
    params = [*(reflections if "{flows}" in sql else ()), *argument]
    excluded = sorted(set(staff))
    if excluded:
        condition += f" AND p.telegram_id NOT IN ({', '.join('?' * len(excluded))})"
    rows = await store.fetch_all(
        f"SELECT p.telegram_id FROM participants p WHERE p.status = 'active' AND {condition}"
        " AND p.telegram_id NOT IN (SELECT telegram_id FROM roles)"
        " ORDER BY p.joined_at, p.telegram_id",
        [*params, *excluded],
    )
    return [int(row[0]) for row in rows]


async def create(
    store: Store,
    *,
    created_by: int | None,
    audience: str,
    html: str,
    button: tuple[str, str] | None,
    due_at: datetime,
    recipients: Sequence[int],
    now: datetime,
    versions: Mapping[str, str] | None = None,
) -> Broadcast:
    """The broadcast and one outbox row per recipient, in one transaction."""
    label, url = button or ("", "")
    given = json.dumps({k: v for k, v in (versions or {}).items() if v}, ensure_ascii=False)
    async with store.transaction() as tx:
        broadcast_id = await tx.insert(
            "INSERT INTO broadcasts (created_by, audience, html, versions, button_label,"
            " button_url, due_at, status, total, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'scheduled', ?, ?)",
            (
                created_by,
                audience,
                html,
                given,
                label,
                url,
                to_db(due_at),
                len(recipients),
                to_db(now),
            ),
        )
        payload = json.dumps({"broadcast": broadcast_id})
        await tx.execute_many(
            "INSERT INTO outbox (dedup_key, participant_id, chat_id, kind, payload,"
            " due_at, created_at) VALUES (?, ?, ?, 'broadcast', ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            [
                (f"broadcast:{broadcast_id}:{pid}", pid, pid, payload, to_db(due_at), to_db(now))
                for pid in recipients
            ],
        )
    found = await get(store, broadcast_id)
    assert found is not None
    return found


async def get(store: Store, broadcast_id: int) -> Broadcast | None:
    row = await store.fetch_one("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
    return _broadcast(row) if row else None


async def recent(store: Store, limit: int = 5) -> list[Broadcast]:
    rows = await store.fetch_all("SELECT * FROM broadcasts ORDER BY id DESC LIMIT ?", (limit,))
    return [_broadcast(row) for row in rows]


async def unfinished(store: Store) -> list[Broadcast]:
    rows = await store.fetch_all(
        "SELECT * FROM broadcasts WHERE status IN ('scheduled', 'sending', 'paused') ORDER BY id"
    )
    return [_broadcast(row) for row in rows]


async def set_status(
    store: Store,
    broadcast: Broadcast,
    status: BroadcastStatus,
    now: datetime,
    *,
    still: bool = False,
) -> bool:
    """Change state: pausing parks pending rows, resuming makes them due, cancelling ends them.

    A finished broadcast (done, cancelled) stays finished. With `still`, only while it has
    the status `broadcast` was read with (the tick's moves, which must not undo a pause or
    a cancel another process made since). False when nothing changed.
    """
    expected = " AND status = ?" if still else ""
    async with store.transaction() as tx:
        changed = await tx.execute(
            "UPDATE broadcasts SET status = ?, finished_at = CASE WHEN ? IN ('done', 'cancelled')"
            " THEN ? ELSE finished_at END WHERE id = ? AND status NOT IN ('done', 'cancelled')"
            + expected,
            (
                status.value,
                status.value,
                to_db(now),
                broadcast.id,
                *([broadcast.status.value] if still else []),
            ),
        )
        if changed != 1:
            return False
        prefix = broadcast.prefix
        if status is BroadcastStatus.PAUSED:
            await tx.execute(
                "UPDATE outbox SET due_at = ? WHERE status = 'pending' AND " + MINE,
                (FAR_FUTURE, len(prefix), prefix),
            )
        elif status in (BroadcastStatus.SENDING, BroadcastStatus.SCHEDULED):
            # Resuming: parked rows are due again, but never before the broadcast's own time.
            await tx.execute(
                "UPDATE outbox SET due_at = ? WHERE status = 'pending' AND due_at = ? AND " + MINE,
                (to_db(max(now, broadcast.due_at)), FAR_FUTURE, len(prefix), prefix),
            )
        elif status is BroadcastStatus.CANCELLED:
            await tx.execute(
                "UPDATE outbox SET status = 'cancelled' WHERE status = 'pending' AND " + MINE,
                (len(prefix), prefix),
            )
    return True


async def set_progress_message(
    store: Store, broadcast_id: int, chat_id: int, message_id: int
) -> None:
    await store.execute(
        "UPDATE broadcasts SET progress_chat = ?, progress_message = ? WHERE id = ?",
        (chat_id, message_id, broadcast_id),
    )


async def figures(store: Store, broadcast: Broadcast) -> Figures:
    rows = await store.fetch_all(
        "SELECT status, last_error LIKE 'Forbidden%' AS blocked, COUNT(*) AS n FROM outbox"
        " WHERE kind = 'broadcast' AND " + MINE + " GROUP BY status, blocked",
        (len(broadcast.prefix), broadcast.prefix),
    )
    sent = failed = blocked = cancelled = remaining = 0
    for row in rows:
        status, n = row["status"], row["n"]
        if status == "sent":
            sent += n
        elif status == "failed" and row["blocked"]:
            blocked += n
        elif status in ("failed", "missed"):
            failed += n
        elif status == "cancelled":
            cancelled += n
        else:
            remaining += n
    return Figures(sent, failed, blocked, cancelled, remaining)
