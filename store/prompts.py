"""Which message of a dialogue carries its buttons, per person (the newest one sent).

The outbox notes it as it records a delivery (`outbox.mark_sent`, one write); a typed
answer then takes those buttons off (bot/shell/handlers/flows.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from store.db import Store, to_db

__all__ = ["Shown", "last", "note"]


@dataclass(frozen=True, slots=True)
class Shown:
    """A message now in a person's private chat: carrying the buttons of the flow
    `flow_code`, or ("") no dialogue's buttons any more (taken off, edited away)."""

    participant_id: int
    message_id: int
    flow_code: str = ""


async def note(store: Store, shown: Sequence[Shown], now: datetime) -> None:
    """Record what these messages carry now, in order (a later one wins)."""
    if not shown:
        return
    async with store.transaction() as tx:
        for item in shown:
            if not item.flow_code:
                await tx.execute(
                    "DELETE FROM flow_prompts WHERE participant_id = ? AND message_id = ?",
                    (item.participant_id, item.message_id),
                )
                continue
            # Someone forgotten meanwhile (the answer to /forget) is not written back.
            await tx.execute(
                "INSERT INTO flow_prompts (participant_id, flow_code, message_id, shown_at)"
                " SELECT ?, ?, ?, ? WHERE EXISTS"
                " (SELECT 1 FROM participants WHERE telegram_id = ?)"
                " ON CONFLICT (participant_id, flow_code) DO UPDATE SET"
                " message_id = excluded.message_id, shown_at = excluded.shown_at",
                (
                    item.participant_id,
                    item.flow_code,
                    item.message_id,
                    to_db(now),
                    item.participant_id,
                ),
            )


async def last(store: Store, participant_id: int, flow_code: str) -> int | None:
    """The message id of the flow's newest message with its buttons on, if any."""
    row = await store.fetch_one(
        "SELECT message_id FROM flow_prompts WHERE participant_id = ? AND flow_code = ?",
        (participant_id, flow_code),
    )
    return None if row is None else int(row[0])
