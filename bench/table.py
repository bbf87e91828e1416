"""The run's figures: each bench on SQLite and on PostgreSQL, their medians and the ratio.

Every figure is printed the moment it is measured (with the machine's load average
then), and `Table.show()` prints them all at the end as one table:
bench | unit | SQLite | PostgreSQL | PG/SQLite. Where a bench ran more than once the
cells are medians (`n` says how many runs). A second table, `pairs`, holds ratios of
other kinds (two bot processes against one).
"""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass, field

from bench.backends import BACKENDS, LABELS


def load() -> str:
    """The 1-minute load average now (2 cores: above 2 the figures are suspect)."""
    return f"{os.getloadavg()[0]:.2f}"


@dataclass
class Row:
    bench: str
    unit: str
    samples: dict[str, list[float]] = field(default_factory=dict)
    loads: list[str] = field(default_factory=list)

    def median(self, column: str) -> float | None:
        values = self.samples.get(column)
        return statistics.median(values) if values else None


@dataclass
class Table:
    rows: dict[str, Row] = field(default_factory=dict)
    columns: tuple[str, ...] = BACKENDS
    title: str = "PostgreSQL against SQLite, the same run"
    ratio: str = "PG/SQLite"
    labels: dict[str, str] = field(default_factory=lambda: dict(LABELS))

    def add(self, bench: str, unit: str, column: str, value: float) -> None:
        row = self.rows.setdefault(bench, Row(bench, unit))
        row.samples.setdefault(column, []).append(value)
        row.loads.append(load())
        print(
            f"  figure: {bench} on {self.labels.get(column, column)}: {value:.3g} {unit}"
            f" (load {row.loads[-1]})",
            flush=True,
        )

    def show(self) -> str:
        first, second = self.columns
        header = (
            "bench",
            "unit",
            self.labels.get(first, first),
            self.labels.get(second, second),
            self.ratio,
            "n",
            "load",
        )
        lines = [header]
        for row in self.rows.values():
            a, b = row.median(first), row.median(second)
            ratio = f"{b / a:.2f}" if a and b is not None else "-"
            runs = max((len(v) for v in row.samples.values()), default=0)
            loads = f"{min(row.loads)}-{max(row.loads)}" if row.loads else "-"
            lines.append((row.bench, row.unit, _cell(a), _cell(b), ratio, str(runs), loads))
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
        text = [f"{self.title}:"]
        for number, line in enumerate(lines):
            text.append(" | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)))
            if number == 0:
                text.append("-+-".join("-" * w for w in widths))
        return "\n".join(text)


def _cell(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"
