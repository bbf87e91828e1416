"""Organiser and facilitator roles granted in the chat or from the command line, and invites.

An invite is only as good as its maker: it grants its role while the person who made it
may still invite (an organiser, by a granted role or by settings.toml). Revoking that
role voids the invites they made that nobody used, and an invite whose maker has lost
the role since is refused (and voided) when someone opens it: a revocation done outside
the bot, by editing settings.toml, counts too.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from store.db import Store, from_db, to_db
from store.rows import Transaction

__all__ = [
    "Grant",
    "Refusal",
    "Revocation",
    "Role",
    "create_invite",
    "grant",
    "grants",
    "revoke",
    "roles_of",
    "use_invite",
]


class Role(StrEnum):
    ORGANISER = "organiser"
    FACILITATOR = "facilitator"


class Refusal(StrEnum):
    """Why an invite grants nothing."""

    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    VOID = "void"  # its maker's role was revoked, or they were forgotten


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
        "INSERT INTO roles (telegram_id, role, granted_by, granted_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (telegram_id, role.value, granted_by, to_db(now)),
    )
    return changed == 1


@dataclass(frozen=True, slots=True)
class Revocation:
    revoked: bool  # a granted role was taken away (False: there was none to take)
    voided: int  # unused invites of theirs that no longer grant anything


async def revoke(
    store: Store, telegram_id: int, role: Role, now: datetime, *, makers: Collection[int] = ()
) -> Revocation:
    """Take a granted role away. If that leaves the person unable to invite (neither a
    granted organiser nor one of `makers`, the organisers of settings.toml), the invites
    they made and nobody used are void, in the same transaction."""
    async with store.transaction() as tx:
        revoked = (
            await tx.execute(
                "DELETE FROM roles WHERE telegram_id = ? AND role = ?", (telegram_id, role.value)
            )
            == 1
        )
        voided = 0
        if not await _may_invite(tx, telegram_id, makers):
            voided = await _void(tx, telegram_id, now)
    return Revocation(revoked, voided)


async def _void(tx: Transaction, maker: int, now: datetime) -> int:
    return await tx.execute(
        "UPDATE invites SET voided_at = ?"
        " WHERE created_by = ? AND used_at IS NULL AND voided_at IS NULL",
        (to_db(now), maker),
    )


async def _may_invite(tx: Transaction, telegram_id: int | None, makers: Collection[int]) -> bool:
    # NULL or 0: the maker was forgotten (/forget clears who made an invite).
    if not telegram_id:
        return False
    if telegram_id in makers:
        return True
    found = await tx.fetch_one(
        "SELECT 1 FROM roles WHERE telegram_id = ? AND role = ?",
        (telegram_id, Role.ORGANISER.value),
    )
    return found is not None


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


async def use_invite(
    store: Store, token: str, telegram_id: int, now: datetime, *, makers: Collection[int] = ()
) -> Role | Refusal:
    """Redeem an invite once, before it expires, while its maker may still invite (a
    granted organiser or one of `makers`): grants its role, or says why not."""
    async with store.transaction() as tx:
        await store.lock(f"invite:{token}")  # two people pressing one link: one gets it
        row = await tx.fetch_one(
            "SELECT role, created_by, expires_at, used_at, voided_at FROM invites WHERE token = ?",
            (token,),
        )
        if row is None:
            return Refusal.UNKNOWN
        # used_at, not used_by: /forget clears who used an invite, never that it was used.
        if row["used_at"] is not None:
            return Refusal.USED
        if row["voided_at"] is not None:
            return Refusal.VOID
        if not await _may_invite(tx, row["created_by"], makers):
            # Revoked where this store could not see it (settings.toml), or forgotten.
            await tx.execute(
                "UPDATE invites SET voided_at = ? WHERE token = ?", (to_db(now), token)
            )
            return Refusal.VOID
        if from_db(row["expires_at"]) <= now:
            return Refusal.EXPIRED
        # Still unused and not void: a revocation or a /forget of its maker committed
        # since the read above (another process, not under this lock) wins.
        taken = await tx.execute(
            "UPDATE invites SET used_by = ?, used_at = ? WHERE token = ?"
            " AND used_at IS NULL AND voided_at IS NULL",
            (telegram_id, to_db(now), token),
        )
        if taken != 1:
            return Refusal.VOID
        await tx.execute(
            "INSERT INTO roles (telegram_id, role, granted_by, granted_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (telegram_id, row["role"], row["created_by"], to_db(now)),
        )
        return Role(row["role"])
