"""A participant's own data: all of it read out (/mydata), or all of it erased (/forget).

`PERSONAL` lists every place a person's Telegram id is kept; a test checks that
no table with such a column is missing from it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from store.db import Store, to_db
from store.spelling import json_number, json_without

__all__ = ["PERSONAL", "erase", "everything"]

# (table, column holding the person's Telegram id)
PERSONAL = (
    ("participants", "telegram_id"),
    ("course_progress", "participant_id"),
    ("sections_read", "participant_id"),
    ("flow_states", "participant_id"),
    ("flow_prompts", "participant_id"),
    ("answers", "participant_id"),
    ("quote_consent", "participant_id"),
    ("registrations", "participant_id"),
    ("mooc_logins", "participant_id"),
    ("outbox", "participant_id"),
    ("roles", "telegram_id"),
    ("invites", "used_by"),
    ("audit_log", "actor_id"),
    ("inbox", "person"),
)


def _value(column: str, value: Any) -> Any:
    if column in {"state", "payload", "detail"} and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


async def everything(store: Store, telegram_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row that names the person, table by table."""
    found: dict[str, list[dict[str, Any]]] = {}
    for table, column in PERSONAL:
        rows = await store.fetch_all(f"SELECT * FROM {table} WHERE {column} = ?", (telegram_id,))
        found[table] = [{key: _value(key, row[key]) for key in row.keys()} for row in rows]  # noqa: SIM118
    return found


async def erase(store: Store, telegram_id: int, now: datetime) -> None:
    """Delete the person and everything that names them, in one transaction.

    Answers, dialogue states, reading progress and registrations go with the
    participant (foreign keys). A MOOC login code stays handed out (codes are
    used once) but is tied to nobody: a negative placeholder instead of the id.
    The audit log keeps what happened, without who. What they made as staff stays,
    but not as theirs: their unused invites are void, and invites, broadcasts and
    roles they gave no longer name them (0 stands for "someone since forgotten").
    Deleted content is overwritten, and the WAL truncated after the commit (see
    `Store.scrub_after_commit`): no copy stays in the files.

    Holds `person:<id>` (their turn's lock; a turn of theirs, /forget, holds it already):
    a turn of theirs on another process ends first, so nothing it wrote outlives this.
    Then `mooc_logins` (as `logins.assign` does): no code is handed to them meanwhile.
    """
    async with store.transaction() as tx:
        await store.lock(f"person:{telegram_id}")
        await store.lock("mooc_logins")
        store.scrub_after_commit()
        await tx.execute("DELETE FROM outbox WHERE participant_id = ?", (telegram_id,))
        await tx.execute("DELETE FROM flow_prompts WHERE participant_id = ?", (telegram_id,))
        await tx.execute(
            "UPDATE mooc_logins SET participant_id = -rowid WHERE participant_id = ?",
            (telegram_id,),
        )
        await tx.execute("DELETE FROM roles WHERE telegram_id = ?", (telegram_id,))
        await tx.execute("UPDATE invites SET used_by = NULL WHERE used_by = ?", (telegram_id,))
        await tx.execute("UPDATE audit_log SET actor_id = NULL WHERE actor_id = ?", (telegram_id,))
        await tx.execute(
            f"UPDATE audit_log SET detail = {json_without(store.dialect, 'detail', 'telegram_id')}"
            f" WHERE {json_number(store.dialect, 'detail', 'telegram_id')} = ?",
            (telegram_id,),
        )
        await tx.execute(
            "UPDATE invites SET voided_at = ? WHERE created_by = ?"
            " AND used_at IS NULL AND voided_at IS NULL",
            (to_db(now), telegram_id),
        )
        await tx.execute("UPDATE invites SET created_by = 0 WHERE created_by = ?", (telegram_id,))
        await tx.execute("UPDATE roles SET granted_by = 0 WHERE granted_by = ?", (telegram_id,))
        await tx.execute(
            "UPDATE broadcasts SET created_by = NULL WHERE created_by = ?", (telegram_id,)
        )
        await tx.execute(
            "UPDATE broadcasts SET progress_chat = NULL, progress_message = NULL"
            " WHERE progress_chat = ?",
            (telegram_id,),
        )
        # Handled updates keep their id (a redelivery stays refused) but no longer whose;
        # a parked one still holds what they typed. Anyone else's parked update may quote
        # them too (a facilitator's press on an /answers page carries that page): those
        # keep their error, not their text.
        await tx.execute("DELETE FROM inbox WHERE person = ? AND status = 'parked'", (telegram_id,))
        await tx.execute(
            "UPDATE inbox SET payload = NULL WHERE status = 'parked' AND payload IS NOT NULL"
        )
        await tx.execute("UPDATE inbox SET person = 0 WHERE person = ?", (telegram_id,))
        await tx.execute("DELETE FROM participants WHERE telegram_id = ?", (telegram_id,))
