"""The facilitators' commands: `mooc-bot export`, `stats` and `digest`.

The same documents and figures as /export, /stats and the digest, from the
database file (safe while the bot runs).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.base.clock import SystemClock
from bot.base.settings import Settings
from bot.base.telegram_html import parse_html
from bot.cli.command import Command, Invocation
from bot.reports.collected import Collected, collect, staff_ids
from bot.reports.digest_page import digest_summary, make_digest
from bot.reports.export import write_exports
from bot.reports.stats import funnel, funnel_chart
from flows.content import Content
from store.consent import Quote
from store.db import Store

__all__ = ["DIGEST", "EXPORT", "STATS", "run_digest", "run_export", "run_stats"]


def _titles(settings: Settings) -> dict[str, str]:
    return {s.id: s.title for s in settings.sessions}


async def _collect(settings: Settings, content: Content, anonymise: bool) -> Collected:
    strings = content.strings(content.default_language)
    async with Store(settings.database_url) as store:
        quote = Quote(settings.privacy.quote_default)
        roles = settings.roles
        staff = await staff_ids(store, [*roles.organisers, *roles.facilitators])
        return await collect(store, content, strings, anonymise, quote, staff)


def run_export(settings: Settings, content: Content, out: Path, anonymise: bool) -> int:
    strings = content.strings(content.default_language)
    c = asyncio.run(_collect(settings, content, anonymise or settings.privacy.anonymise_answers))
    xlsx, table = write_exports(c, strings, _titles(settings), out)
    answers = sum(len(c.entries[q]) for q in c.every)
    print(
        f"wrote {xlsx} and {table}: {len(c.people)} participant(s),"
        f" {answers} answer(s), {len(c.registrations)} registration(s)"
        + (" (anonymised)" if c.anonymise else "")
    )
    return 0


def run_digest(settings: Settings, content: Content, out: Path, session_id: str | None) -> int:
    """The digest of a session (or, without one, of everyone) as an HTML file."""
    strings = content.strings(content.default_language)
    sessions = {s.id: s for s in settings.sessions}
    if session_id is not None and session_id not in sessions:
        known = ", ".join(sessions) or "none configured"
        print(f"error: no session {session_id!r} (sessions: {known})", file=sys.stderr)
        return 2
    session = sessions.get(session_id) if session_id else None

    async def made() -> tuple[str, str]:
        async with Store(settings.database_url) as store:
            now = SystemClock().now()
            digest, page = await make_digest(store, content, strings, settings, session, now)
            return digest_summary(digest, strings), page

    summary, page = asyncio.run(made())
    out.write_text(page, encoding="utf-8")
    print(parse_html(summary)[0])  # the chat's summary, as the chat shows it
    print(f"wrote {out}")
    return 0


def run_stats(settings: Settings, content: Content, chart: Path | None) -> int:
    strings = content.strings(content.default_language)
    c = asyncio.run(_collect(settings, content, settings.privacy.anonymise_answers))
    shape = funnel(c, content, strings, _titles(settings))
    width = max(len(step) for step in shape.steps) + 2
    print(f"{'':<{width}}" + "".join(f"{g.title[:18]:>20}" for g in shape.groups))
    for index, step in enumerate(shape.steps):
        cells = []
        for group in shape.groups:
            count = group.counts[index]
            share = f"{round(100 * count / group.started)}%" if group.started else "-"
            cells.append(f"{count:>12} {share:>6} ")
        print(f"{step:<{width}}" + "".join(cells))
    if chart is not None:
        chart.write_bytes(funnel_chart(shape, strings.plain("stats.chart_title")))
        print(f"chart: {chart}")
    return 0


def _export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="the folder to write them to")
    parser.add_argument("--anonymise", action="store_true", help='"Participant 17", no contacts')


def _stats_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--chart", type=Path, help="also draw it into this PNG file")


def _digest_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="the HTML file to write")
    parser.add_argument("--session", help="a session id (default: everyone)")


def _export(call: Invocation) -> int:
    return run_export(call.settings, call.content, call.args.out, call.args.anonymise)


def _stats(call: Invocation) -> int:
    return run_stats(call.settings, call.content, call.args.chart)


def _digest(call: Invocation) -> int:
    return run_digest(call.settings, call.content, call.args.out, call.args.session)


EXPORT = Command(
    "answers.xlsx and answers.csv into a folder", _export_arguments, _export, opens_database=True
)
STATS = Command(
    "the funnel from /start to five answers", _stats_arguments, _stats, opens_database=True
)
DIGEST = Command(
    "the pre-session digest as an HTML file", _digest_arguments, _digest, opens_database=True
)
