"""Attendance: which session, a meeting tool's list read, and every mark with its audit row.

Facilitators mark people one at a time (/attendance, a button per name) or a whole
list at once (`mooc-bot attendance import`); both go through here, so each change
is audited the same way. Attendance decides the follow-ups (bot/services/followup.py).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from pathlib import Path

from bot.base.settings import SessionSettings
from store import audit, registrations
from store.db import Store
from store.registrations import RegistrationStatus

__all__ = [
    "Listed",
    "Tally",
    "attendance_session",
    "emails_in",
    "mark",
    "mark_listed",
    "tally",
]


@dataclass(frozen=True, slots=True)
class Listed:
    """What a participant list marked: newly, already, and addresses of nobody seated."""

    marked: int
    already: int
    unknown: set[str]


@dataclass(frozen=True, slots=True)
class Tally:
    session_id: str
    attended: int
    seated: int  # attended or registered


def attendance_session(
    sessions: Sequence[SessionSettings], wanted: str, now: datetime
) -> SessionSettings | None:
    """The named session; without a name, the latest that has started."""
    if wanted:
        return next((s for s in sessions if s.id == wanted), None)
    started = [s for s in sessions if s.starts_at <= now]
    return max(started, key=lambda s: s.starts_at) if started else None


async def mark(
    store: Store,
    session_id: str,
    participant_id: int,
    present: bool,
    *,
    actor_id: int | None,
    now: datetime,
) -> bool:
    """One seated person marked as attended (or not); audited when it changed."""
    changed = await registrations.set_attended(store, participant_id, session_id, present, now)
    if changed:
        await audit.record(
            store,
            actor_id=actor_id,
            action="attendance.marked" if present else "attendance.unmarked",
            now=now,
            detail={"session": session_id},
            recipients=1,
        )
    return changed


async def mark_listed(
    store: Store, session_id: str, emails: set[str], *, actor_id: int | None, now: datetime
) -> Listed:
    """Everyone seated with one of these addresses marked as attended, audited as one import."""
    marked, already, unknown = await registrations.mark_attended(store, session_id, emails, now)
    await audit.record(
        store,
        actor_id=actor_id,
        action="attendance.imported",
        now=now,
        detail={"session": session_id},
        recipients=marked,
    )
    return Listed(marked, already, unknown)


async def tally(store: Store, sessions: Sequence[SessionSettings]) -> list[Tally]:
    """Per session, how many of the seated are marked as attended."""
    tallies = []
    for session in sessions:
        counts = await registrations.counts(store, session.id)
        attended = counts.get(RegistrationStatus.ATTENDED, 0)
        seated = attended + counts.get(RegistrationStatus.REGISTERED, 0)
        tallies.append(Tally(session.id, attended, seated))
    return tallies


def emails_in(path: Path) -> set[str]:
    """The e-mail addresses in a meeting tool's participant list (CSV, comma, semicolon or
    tab separated; UTF-8, or UTF-16 as Teams writes it): the column whose header names an
    e-mail, else every cell holding an address; "Name <a@b.org>" gives a@b.org.
    ValueError when the file holds none."""
    raw = path.read_bytes()
    utf16 = raw[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in raw[:200]
    text = raw.decode("utf-16" if utf16 else "utf-8-sig")
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], ",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    header = next((i for i, row in enumerate(rows[:20]) if _mail_column(row) is not None), None)
    if header is not None:
        column = _mail_column(rows[header])
        assert column is not None
        cells = [row[column] for row in rows[header + 1 :] if len(row) > column]
    else:
        cells = [cell for row in rows for cell in row]
    found = {address for cell in cells if _is_address(address := parseaddr(cell)[1])}
    if not found:
        raise ValueError(f"{path}: no e-mail addresses found (is it the participant list?)")
    return found


def _is_address(text: str) -> bool:
    name, _, domain = text.partition("@")
    return bool(name) and "." in domain and not any(c.isspace() for c in text)


def _mail_column(row: list[str]) -> int | None:
    for index, cell in enumerate(row):
        name = cell.strip().casefold().replace("-", "")
        if "email" in name or name in ("mail", "emailadres", "emailaddress"):
            return index
    return None
