"""Participants: who has talked to the bot, in which language, and whether they can be reached."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from store.db import Store, from_db, to_db
from store.rows import Row

__all__ = [
    "Participant",
    "ParticipantStatus",
    "count",
    "get",
    "mark_blocked",
    "seen",
    "set_language",
]


class ParticipantStatus(StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"


@dataclass(frozen=True, slots=True)
class Participant:
    telegram_id: int
    chat_id: int
    first_name: str
    last_name: str | None
    username: str | None
    language: str
    joined_at: datetime
    last_seen_at: datetime
    status: ParticipantStatus
    drips_paused: bool = False
    nudges_sent: int = 0
    reactivated: bool = False  # set by seen(): they had blocked the bot and wrote again


def _participant(row: Row) -> Participant:
    return Participant(
        telegram_id=row["telegram_id"],
        chat_id=row["chat_id"],
        first_name=row["first_name"],
        last_name=row["last_name"],
        username=row["username"],
        language=row["language"],
        joined_at=from_db(row["joined_at"]),
        last_seen_at=from_db(row["last_seen_at"]),
        status=ParticipantStatus(row["status"]),
        drips_paused=bool(row["drips_paused"]),
        nudges_sent=row["nudges_sent"],
    )


async def seen(
    store: Store,
    *,
    telegram_id: int,
    chat_id: int,
    first_name: str,
    last_name: str | None,
    username: str | None,
    language: str,
    now: datetime,
) -> tuple[Participant, bool]:
    """Record that a user wrote to the bot; return them and whether they are new.

    A new participant gets `language`; a known one keeps theirs, while names,
    last-seen time and status (writing again unblocks) are refreshed.
    """
    async with store.transaction() as tx:
        changed = await tx.execute(
            "INSERT INTO participants (telegram_id, chat_id, first_name, last_name, username,"
            " language, joined_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (telegram_id) DO NOTHING",
            (
                telegram_id,
                chat_id,
                first_name,
                last_name,
                username,
                language,
                to_db(now),
                to_db(now),
            ),
        )
        created = changed == 1
        reactivated = False
        if not created:
            # The first update holds their row, so the status read by the second is the
            # last committed one: a mark_blocked() another process (the dispatcher) made
            # meanwhile is undone as a reactivation, never overwritten unseen.
            await tx.execute(
                "UPDATE participants SET chat_id = ?, first_name = ?, last_name = ?, username = ?,"
                " last_seen_at = ? WHERE telegram_id = ?",
                (chat_id, first_name, last_name, username, to_db(now), telegram_id),
            )
            reactivated = (
                await tx.execute(
                    "UPDATE participants SET status = 'active'"
                    " WHERE telegram_id = ? AND status = 'blocked'",
                    (telegram_id,),
                )
                == 1
            )
        row = await tx.fetch_one("SELECT * FROM participants WHERE telegram_id = ?", (telegram_id,))
    assert row is not None
    participant = _participant(row)
    if reactivated:
        participant = replace(participant, reactivated=True)
    return participant, created


async def get(store: Store, telegram_id: int) -> Participant | None:
    row = await store.fetch_one("SELECT * FROM participants WHERE telegram_id = ?", (telegram_id,))
    return _participant(row) if row else None


async def get_many(store: Store, telegram_ids: Iterable[int]) -> dict[int, Participant]:
    """Several participants by id in one query (those that exist)."""
    ids = list(dict.fromkeys(telegram_ids))
    found: dict[int, Participant] = {}
    for start in range(0, len(ids), 500):  # well under SQLite's limit on parameters
        chunk = ids[start : start + 500]
        rows = await store.fetch_all(
            f"SELECT * FROM participants WHERE telegram_id IN ({','.join('?' * len(chunk))})",
            chunk,
        )
        found.update((row["telegram_id"], _participant(row)) for row in rows)
    return found


async def set_language(store: Store, telegram_id: int, language: str) -> bool:
    changed = await store.execute(
        "UPDATE participants SET language = ? WHERE telegram_id = ?", (language, telegram_id)
    )
    return changed == 1


async def mark_blocked(store: Store, telegram_id: int) -> bool:
    """The user blocked the bot: keep them, but send them nothing more."""
    changed = await store.execute(
        "UPDATE participants SET status = 'blocked' WHERE telegram_id = ?", (telegram_id,)
    )
    return changed == 1


async def count(store: Store, status: ParticipantStatus | None = None) -> int:
    if status is None:
        row = await store.fetch_one("SELECT COUNT(*) FROM participants")
    else:
        row = await store.fetch_one(
            "SELECT COUNT(*) FROM participants WHERE status = ?", (status.value,)
        )
    return int(row[0]) if row else 0


async def set_drips_paused(store: Store, telegram_id: int, paused: bool) -> None:
    await store.execute(
        "UPDATE participants SET drips_paused = ? WHERE telegram_id = ?", (int(paused), telegram_id)
    )


async def count_nudge(store: Store, telegram_id: int) -> None:
    await store.execute(
        "UPDATE participants SET nudges_sent = nudges_sent + 1 WHERE telegram_id = ?",
        (telegram_id,),
    )


async def joined_times(store: Store) -> list[tuple[int, datetime]]:
    """When each participant first wrote."""
    rows = await store.fetch_all("SELECT telegram_id, joined_at FROM participants")
    return [(int(row["telegram_id"]), from_db(row["joined_at"])) for row in rows]
