"""/stats and `mooc-bot stats`: the funnel from /start to five answers, as text and a chart.

Per group — everyone, each language, each session — how many started, read each
section, registered (and waitlisted), answered each question and all five, with
the share of those who started. The chart is a PNG drawn with matplotlib.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.base.telegram_text import MAX_TEXT, shown_length
from bot.reports.collected import Collected
from flows.content import Content
from flows.strings import Markup, Strings
from store.registrations import RegistrationStatus

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "Funnel",
    "Group",
    "chart_panels",
    "funnel",
    "funnel_chart",
    "funnel_figure",
    "funnel_text",
]


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
    registered_step: int = 0  # the index of "registered" among the steps


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
    return Funnel(steps, tuple(groups), registered_step=1 + len(sections))


def _share(count: int, of: int) -> str:
    return f"{round(100 * count / of)} %" if of else "–"


# The chart is read on a phone: 1080 px wide, a panel per group one under the other.
CHART_WIDTH, CHART_DPI = 7.2, 150  # inches and dots per inch: 1080 px
PANEL_TOP, PANEL_STEP = 0.9, 0.3  # inches: a panel's title and axis, then per bar
MAX_PIXELS = 9000  # Telegram's photos: width + height at most 10,000 (and 20:1)


def funnel_text(f: Funnel, strings: Strings) -> str:
    """The funnel as one message within Telegram's 4096: every group step by step
    while that fits, else everyone step by step and the other groups a line each
    (and, past that, how many more the chart shows)."""

    def block(group: Group) -> str:
        lines = [
            strings("stats.line", step=step, count=count, share=_share(count, group.started))
            for step, count in zip(f.steps, group.counts, strict=True)
        ]
        return strings(
            "stats.group", title=group.title, started=group.started, lines=Markup("\n".join(lines))
        )

    def summary(group: Group) -> str:
        registered, everything = f.registered_step, len(f.steps) - 1
        return strings(
            "stats.summary",
            title=group.title,
            started=group.started,
            registered=group.counts[registered],
            registered_share=_share(group.counts[registered], group.started),
            all=group.counts[everything],
            all_share=_share(group.counts[everything], group.started),
        )

    head = strings("stats.heading")
    full = "\n\n".join([head, *map(block, f.groups)])
    if shown_length(full) <= MAX_TEXT:
        return full
    shown = [head, block(f.groups[0])]
    for at, group in enumerate(f.groups[1:], start=1):
        left = len(f.groups) - at - 1  # after this one
        tail = [strings("stats.more", count=left)] if left else []
        if shown_length("\n\n".join([*shown, summary(group), *tail])) > MAX_TEXT:
            shown.append(strings("stats.more", count=left + 1))
            break
        shown.append(summary(group))
    return "\n\n".join(shown)


def chart_panels(f: Funnel) -> int:
    """How many groups the chart draws: all, unless the picture would grow past what
    Telegram accepts (the text says how many more there are)."""
    per_panel = (PANEL_TOP + PANEL_STEP * len(f.steps)) * CHART_DPI
    room = (MAX_PIXELS - CHART_WIDTH * CHART_DPI) // per_panel
    return max(1, min(len(f.groups), int(room)))


def funnel_figure(f: Funnel, title: str) -> Figure:
    """A panel per group, one under the other: each step's share of those who started
    that group as a bar, its count and share written beside it, so a group of five
    reads as clearly as one of two hundred."""
    from matplotlib.figure import Figure  # imported when drawn: it takes a second to load

    groups = f.groups[: chart_panels(f)]
    height = 0.5 + len(groups) * (PANEL_TOP + PANEL_STEP * len(f.steps))
    figure = Figure(figsize=(CHART_WIDTH, height), dpi=CHART_DPI, layout="constrained")
    figure.suptitle(title, fontsize=13, fontweight="bold")
    axes = figure.subplots(len(groups), 1, squeeze=False)[:, 0]
    steps = list(range(len(f.steps)))
    for panel, group in zip(axes, groups, strict=True):
        shares = [100 * count / group.started if group.started else 0 for count in group.counts]
        bars = panel.barh(steps, shares, height=0.7, color="#4C78A8")
        labels = [f"{count} · {_share(count, group.started)}" for count in group.counts]
        panel.bar_label(bars, labels=labels, padding=3, fontsize=9)
        panel.set_yticks(steps, labels=list(f.steps), fontsize=9)
        panel.invert_yaxis()
        panel.set_xlim(0, 125)  # room for the labels beside a full bar
        panel.set_xticks([0, 25, 50, 75, 100], labels=["0", "25", "50", "75", "100 %"])
        panel.tick_params(axis="x", labelsize=8)
        panel.set_title(f"{group.title} · {group.started}", loc="left", fontsize=11)
        panel.spines[["top", "right"]].set_visible(False)
    return figure


def funnel_chart(f: Funnel, title: str) -> bytes:
    """`funnel_figure` as a PNG."""
    out = io.BytesIO()
    funnel_figure(f, title).savefig(out, format="png")
    return out.getvalue()
