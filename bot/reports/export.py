"""The facilitators' exports, written together: answers.xlsx and answers.csv.

answers.xlsx (and roster.xlsx, on its own) is bot/reports/export_xlsx.py, through the
one sheet writer of bot/reports/workbook.py; answers.csv is bot/reports/export_csv.py.
Nothing typed can run as a formula in either: each kind of file has one writer that
every row goes through, so no column is left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from bot.reports.collected import Collected
from bot.reports.export_csv import answers_csv
from bot.reports.export_xlsx import answers_xlsx
from flows.strings import Strings

__all__ = ["write_exports"]


def write_exports(
    c: Collected, strings: Strings, session_titles: Mapping[str, str], folder: Path
) -> tuple[Path, Path]:
    """answers.xlsx and answers.csv in `folder` (written to disk: neither is held whole)."""
    folder.mkdir(parents=True, exist_ok=True)
    xlsx, table = folder / "answers.xlsx", folder / "answers.csv"
    answers_xlsx(c, strings, session_titles, xlsx)
    answers_csv(c, strings, session_titles, table)
    return xlsx, table
