"""What facilitators take from the chat: the exports, the funnel, the roster, the digest.

/export sends answers.xlsx and answers.csv; /stats the funnel as text and as a
chart; /roster roster.xlsx; /digest the session's digest page. Building files and
charts runs in a thread, so the bot keeps answering participants meanwhile.
(Reading the answers in the chat, /answers: bot/shell/handlers/answers.py.)
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from telegram import Update

from bot.reports.digest_page import digest_summary, file_name, make_digest
from bot.reports.export import write_exports
from bot.reports.export_xlsx import roster_xlsx
from bot.reports.stats import funnel, funnel_chart, funnel_text
from bot.shell.context import BotContext
from bot.shell.handlers.answers import collected
from bot.shell.handlers.common import respond
from flows.replies import Document, Out, Photo, Reply
from flows.strings import Markup
from store import audit
from store.registrations import RegistrationStatus

__all__ = [
    "digest",
    "export",
    "roster",
    "session_titles",
    "stats",
]


def session_titles(context: BotContext) -> dict[str, str]:
    return {s.id: s.title for s in context.settings.sessions}


async def export(update: Update, context: BotContext) -> None:
    """/export: answers.xlsx and answers.csv as documents."""
    user = update.effective_user
    assert user is not None
    strings = context.strings
    titles = session_titles(context)
    # Seconds of reading and building for a large course: others write meanwhile.
    async with context.store.paused():
        c = await collected(context)
        with tempfile.TemporaryDirectory() as folder:
            paths = await asyncio.to_thread(write_exports, c, strings, titles, Path(folder))
            xlsx, csv = [await asyncio.to_thread(path.read_bytes) for path in paths]
    count = sum(len(c.entries[q]) for q in c.every)
    anonymised = Markup(strings("export.anonymised")) if c.anonymise else ""
    caption = strings(
        "export.caption",
        people=len(c.people),
        answers=count,
        registrations=len(c.registrations),
        anonymised=anonymised,
    )
    await audit.record(
        context.store,
        actor_id=user.id,
        action="export.sent",
        now=context.clock.now(),
        detail={"anonymised": c.anonymise},
        recipients=len(c.people),
    )
    replies: list[Out] = [
        Document("answers.xlsx", xlsx, caption),
        Document("answers.csv", csv, strings("export.caption_csv")),
    ]
    await respond(update, context, replies)


async def stats(update: Update, context: BotContext) -> None:
    """/stats: the funnel of every group in one message, then a chart to read on a phone."""
    strings = context.strings
    async with context.store.paused():
        c = await collected(context)
        shape = funnel(c, context.content, strings, session_titles(context))
        chart = await asyncio.to_thread(funnel_chart, shape, strings.plain("stats.chart_title"))
    replies: list[Out] = [
        Reply(funnel_text(shape, strings)),
        Photo(chart, strings("stats.caption"), "funnel.png"),
    ]
    await respond(update, context, replies)


async def roster(update: Update, context: BotContext) -> None:
    """/roster: who is registered or waiting, and how far each got, as roster.xlsx;
    in the chat, a line per session."""
    strings = context.strings
    titles = session_titles(context)
    content = context.content
    sections = [s.id for s in content.course(content.default_language).sections]
    async with context.store.paused():
        c = await collected(context)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "roster.xlsx"
            await asyncio.to_thread(roster_xlsx, c, strings, titles, sections, path)
            data = await asyncio.to_thread(path.read_bytes)
    read, answered = c.sections_read(), c.questions_answered()
    lines = []
    for session in context.settings.sessions:
        here = [r for r in c.registrations if r.session_id == session.id]
        lines.append(
            strings(
                "roster.line",
                title=session.title,
                registered=sum(r.status is RegistrationStatus.REGISTERED for r in here),
                waitlisted=sum(r.status is RegistrationStatus.WAITLISTED for r in here),
                read_all=sum(set(sections) <= read.get(r.participant_id, set()) for r in here),
                answered_all=sum(
                    len(answered.get(r.participant_id, ())) == len(c.questions) for r in here
                ),
            )
        )
    caption = strings("roster.caption", sessions=Markup("\n".join(lines)))  # each line escaped
    await respond(update, context, [Document("roster.xlsx", data, caption)])


async def digest(update: Update, context: BotContext) -> None:
    """/digest: the next session's digest (HTML) and its summary; `/digest all` for
    everyone, `/digest <session id>` for that session."""
    strings = context.strings
    settings = context.settings
    now = context.clock.now()
    wanted = " ".join(context.args or []).strip()
    sessions = {s.id: s for s in settings.sessions}
    if wanted and wanted != "all" and wanted not in sessions:
        choices = ", ".join(sessions) or "—"
        await respond(
            update, context, [Reply(strings("digest.unknown", name=wanted, choices=choices))]
        )
        return
    if wanted:
        session = sessions.get(wanted)
    else:  # the next session that has not ended, else everyone
        ahead = [s for s in settings.sessions if s.ends_at > now]
        session = min(ahead, key=lambda s: s.starts_at) if ahead else None
    async with context.store.paused():
        shown, page = await make_digest(
            context.store, context.content, strings, settings, session, now
        )
    caption = strings("digest.caption", title=shown.title)
    replies: list[Out] = [
        Reply(digest_summary(shown, strings)),
        Document(file_name(session), page.encode("utf-8"), caption),
    ]
    await respond(update, context, replies)
