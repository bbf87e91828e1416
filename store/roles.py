"""Organiser and facilitator roles granted in the chat or from the command line, and invites."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from store.db import Store, from_db, to_db

__all__ = ["Grant", "Role", "create_invite", "grant", "grants", "revoke", "roles_of", "use_invite"]


class Role(StrEnum):
    ORGANISER = "organiser"
    FACILITATOR = "facilitator"


@dataclass(frozen=True, slots=True)
class Grant:
    telegram_id: int
    role: Role
    granted_by: int | None
    granted_at: datetime


async def grant(
    store: Store, telegram_id: int, role: Role, granted_by: int | None, now: datetime
) -> bool:
    changed = await store.execute(
        "INSERT OR IGNORE INTO roles (telegram_id, role, granted_by, granted_at)"
        " VALUES (?, ?, ?, ?)",
        (telegram_id, role.value, granted_by, to_db(now)),
    )
    return changed == 1


async def revoke(store: Store, telegram_id: int, role: Role) -> bool:
    changed = await store.execute(
        "DELETE FROM roles WHERE telegram_id = ? AND role = ?", (telegram_id, role.value)
    )
    return changed == 1


async def roles_of(store: Store, telegram_id: int) -> set[Role]:
    rows = await store.fetch_all("SELECT role FROM roles WHERE telegram_id = ?", (telegram_id,))
    return {Role(row["role"]) for row in rows}


async def grants(store: Store) -> list[Grant]:
    rows = await store.fetch_all("SELECT * FROM roles ORDER BY role, telegram_id")
    return [
        Grant(row["telegram_id"], Role(row["role"]), row["granted_by"], from_db(row["granted_at"]))
        for row in rows
    ]


async def create_invite(
    store: Store, token: str, role: Role, created_by: int, now: datetime, expires_at: datetime
) -> None:
    await store.execute(
        "INSERT INTO invites (token, role, created_by, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (token, role.value, created_by, to_db(now), to_db(expires_at)),
    )


async def use_invite(store: Store, token: str, telegram_id: int, now: datetime) -> Role | None:
    """Redeem an invite once, before it expires; grants its role. None if not valid."""
    async with store.transaction() as conn:
        async with conn.execute(
            "SELECT role, created_by FROM invites WHERE token = ? AND used_by IS NULL"
            " AND expires_at > ?",
            (token, to_db(now)),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        await conn.execute(
            "UPDATE invites SET used_by = ?, used_at = ? WHERE token = ?",
            (telegram_id, to_db(now), token),
        )
        await conn.execute(
            "INSERT OR IGNORE INTO roles (telegram_id, role, granted_by, granted_at)"
            " VALUES (?, ?, ?, ?)",
            (telegram_id, row["role"], row["created_by"], to_db(now)),
        )
        return Role(row["role"])
