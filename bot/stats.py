"""/stats and `mooc-bot stats`: the funnel from /start to five answers, as text and a chart.

Per group — everyone, each language, each session — how many started, read each
section, registered (and waitlisted), answered each question and all five, with
the share of those who started. The chart is a PNG drawn with matplotlib.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.collected import Collected
from flows.content import Content
from flows.strings import Markup, Strings
from store.registrations import RegistrationStatus

__all__ = ["Funnel", "Group", "funnel", "funnel_chart", "funnel_text"]


@dataclass(frozen=True)
class Group:
    title: str
    counts: tuple[int, ...]  # one per funnel step

    @property
    def started(self) -> int:
        return self.counts[0]


@dataclass(frozen=True)
class Funnel:
    steps: tuple[str, ...]  # labels, in order; the first is "started"
    groups: tuple[Group, ...]  # everyone first


def funnel(
    c: Collected, content: Content, strings: Strings, session_titles: Mapping[str, str]
) -> Funnel:
    """Count every step of the funnel for everyone, per language and per session."""
    sections = content.course(content.default_language).sections
    read, answered = c.sections_read(), c.questions_answered()
    status = {r.participant_id: r.status for r in c.registrations}
    seated = {RegistrationStatus.REGISTERED, RegistrationStatus.ATTENDED}

    def counts(ids: Sequence[int]) -> tuple[int, ...]:
        return (
            len(ids),
            *(sum(1 for i in ids if s.id in read.get(i, ())) for s in sections),
            sum(1 for i in ids if status.get(i) in seated),
            sum(1 for i in ids if status.get(i) is RegistrationStatus.WAITLISTED),
            *(sum(1 for i in ids if q in answered.get(i, ())) for q in c.questions),
            sum(1 for i in ids if len(answered.get(i, ())) == len(c.questions)),
        )

    everyone = [p.telegram_id for p in c.people]
    groups = [Group(strings.plain("stats.everyone"), counts(everyone))]
    spoken = {p.language for p in c.people}
    for language in content.languages if len(spoken) > 1 else ():  # one: same as everyone
        ids = [p.telegram_id for p in c.people if p.language == language]
        if ids:
            key = f"stats.language_{language}"
            title = strings.plain(key) if strings.has(key) else language
            groups.append(Group(title, counts(ids)))
    for session_id in dict.fromkeys(r.session_id for r in c.registrations):
        ids = [r.participant_id for r in c.registrations if r.session_id == session_id]
        groups.append(Group(session_titles.get(session_id, session_id), counts(ids)))
    steps = (
        strings.plain("stats.started"),
        *(strings.plain("stats.read").format(title=s.title) for s in sections),
        strings.plain("stats.registered"),
        strings.plain("stats.waitlisted"),
        *(strings.plain("stats.answered").format(title=c.titles.get(q, q)) for q in c.questions),
        strings.plain("stats.answered_all"),
    )
    return Funnel(steps, tuple(groups))


def _share(count: int, of: int) -> str:
    return f"{round(100 * count / of)} %" if of else "–"


def funnel_text(f: Funnel, strings: Strings) -> list[str]:
    """One message per group: each step with its count and share of those who started."""
    messages = []
    for group in f.groups:
        lines = [
            strings("stats.line", step=step, count=count, share=_share(count, group.started))
            for step, count in zip(f.steps, group.counts, strict=True)
        ]
        messages.append(strings("stats.group", title=group.title, lines=Markup("\n".join(lines))))
    return messages


def funnel_chart(f: Funnel, title: str) -> bytes:
    """Horizontal bars, one set per group, steps top to bottom; a PNG."""
    from matplotlib.figure import Figure  # imported when drawn: it takes a second to load

    steps = len(f.steps)
    figure = Figure(figsize=(9, 1.6 + 0.45 * steps * max(1, len(f.groups)) ** 0.5), dpi=110)
    axes = figure.subplots()
    height = 0.8 / len(f.groups)
    for index, group in enumerate(f.groups):
        positions = [step + index * height for step in range(steps)]
        bars = axes.barh(positions, group.counts, height=height, label=group.title)
        axes.bar_label(bars, padding=2, fontsize=7)
    axes.set_yticks([step + 0.4 - height / 2 for step in range(steps)], labels=list(f.steps))
    axes.invert_yaxis()
    axes.set_title(title)
    axes.legend(loc="lower right", fontsize=8)
    axes.tick_params(axis="y", labelsize=8)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
