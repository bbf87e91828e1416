"""Login codes from a CSV file into the pool, and a code for everyone waiting for one."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.services.registration import hand_out_waiting_logins
from store import logins
from store.db import Store

__all__ = ["CodeFile", "Imported", "import_codes", "read_codes"]

MAX_CODE = 200


@dataclass
class CodeFile:
    codes: list[str] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)  # "line N: why"
    repeated: int = 0  # the same code twice in the file


@dataclass(frozen=True, slots=True)
class Imported:
    added: int
    duplicates: int  # already in the pool, or twice in the file
    handed: int  # waiting participants who now get a code (the outbox sends it)


def read_codes(path: Path) -> CodeFile:
    """Codes from the `code` column (any case); other columns are ignored.

    Raises ValueError when the file cannot be used at all.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot be read: {exc}") from None
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    columns = [name.strip().lower() for name in header or []]
    if "code" not in columns:
        raise ValueError(f"{path}:1: the first line must name the columns, one of them 'code'")
    column = columns.index("code")
    result = CodeFile()
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        code = row[column].strip() if column < len(row) else ""
        if not code:
            result.bad.append(f"line {number}: no code")
        elif any(ch.isspace() for ch in code) or len(code) > MAX_CODE:
            result.bad.append(f"line {number}: {code[:40]!r} is not a valid code")
        elif code in seen:
            result.repeated += 1
        else:
            seen.add(code)
            result.codes.append(code)
    return result


async def import_codes(store: Store, found: CodeFile, now: datetime) -> Imported:
    """The file's codes into the pool, then a code for everyone who waits for one."""
    added, duplicates = await logins.add_codes(store, found.codes, now)
    handed = await hand_out_waiting_logins(store, now)
    return Imported(added, duplicates + found.repeated, handed)
