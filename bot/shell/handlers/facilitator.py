"""What facilitators do in the chat: read the answers, export them, see the funnel.

/answers lists the questions; a question's answers come newest first, a page at
a time, with Previous / Next (the message is edited in place); a page holds as
many as fit Telegram's 4096, and an answer longer than that goes on over the next
pages, every word shown. `/answers words`
searches every answer. /export sends answers.xlsx and answers.csv; /stats the
funnel as text and as a chart. Building files and charts runs in a thread, so
the bot keeps answering participants meanwhile.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from telegram import Update

from bot.reports.collected import Collected, Entry, Pages, Piece, collect, paginate, staff_ids
from bot.reports.export import roster_xlsx, write_exports
from bot.reports.stats import funnel, funnel_chart, funnel_text
from bot.services.digest import digest_summary, file_name, make_digest
from bot.shell.context import BotContext
from bot.shell.handlers.common import respond
from bot.shell.handlers.participant import stale_button
from flows.callbacks import number
from flows.replies import Button, Document, Out, Photo, Reply
from flows.strings import Markup, Strings
from flows.when import short_date
from store import audit
from store.consent import Quote
from store.registrations import RegistrationStatus

__all__ = [
    "answer_pages",
    "answers",
    "answers_button",
    "digest",
    "export",
    "question_page",
    "roster",
    "search_page",
    "session_titles",
    "stats",
]

PAGE = 5  # answers at most on a page; fewer when they are long
MAX_CALLBACK = 64

UTC_ZONE = ZoneInfo("UTC")


def session_titles(context: BotContext) -> dict[str, str]:
    return {s.id: s.title for s in context.settings.sessions}


async def _collected(context: BotContext) -> Collected:
    """What was collected from participants: organisers and facilitators left out."""
    roles = context.settings.roles
    return await collect(
        context.store,
        context.bot_data.content,
        context.strings,
        context.settings.privacy.anonymise_answers,
        Quote(context.settings.privacy.quote_default),
        await staff_ids(context.store, [*roles.organisers, *roles.facilitators]),
    )


async def answers(update: Update, context: BotContext) -> None:
    """/answers: the questions to choose from; `/answers words`: a search in every answer."""
    async with context.store.paused():  # every answer read: others write meanwhile
        c = await _collected(context)
    words = " ".join(context.args or []).strip()
    if words:
        await respond(update, context, [search_page(c, context.strings, _fit(words), 0)])
        return
    await respond(update, context, [_questions(c, context.strings)])


async def answers_button(update: Update, context: BotContext) -> None:
    """ans:l (the questions), ans:q:<question>:<page>, ans:s:<page>:<words>."""
    query = update.callback_query
    assert query is not None
    parts = (query.data or "").split(":", 3)
    page = number(parts[3] if parts[1:2] == ["q"] else parts[2]) if len(parts) == 4 else None
    c = await _collected(context)
    strings = context.strings
    reply: Reply | None = None
    if parts[1:] == ["l"]:
        reply = _questions(c, strings, edit=True)
    elif page is not None and parts[1] == "q" and parts[2] in c.entries:
        reply = question_page(c, strings, parts[2], page)
    elif page is not None and parts[1] == "s" and parts[3]:
        reply = search_page(c, strings, parts[3], page, edit=True)
    if reply is None:
        await stale_button(update, context)
        return
    await respond(update, context, [reply])


def _fit(words: str) -> str:
    """The search words, cut so the page buttons' data stays within Telegram's 64 bytes."""
    room = MAX_CALLBACK - len("ans:s:999:")
    while len(words.encode()) > room:
        words = words[:-1]
    return words


def _questions(c: Collected, strings: Strings, *, edit: bool = False) -> Reply:
    answered = {e.person.telegram_id for q in c.every for e in c.entries[q]}
    buttons = tuple(
        (
            Button(
                strings.plain("answers.question_button").format(
                    title=c.titles.get(q, q), count=len(c.entries[q])
                ),
                f"ans:q:{q}:0",
            ),
        )
        for q in c.every
    )
    return Reply(strings("answers.choose", total=len(answered)), buttons, edit=edit)


def question_page(c: Collected, strings: Strings, question: str, number: int) -> Reply:
    """Page `number` (from 0, clamped) of a question's answers, newest first."""
    found = c.entries[question]
    title = c.titles.get(question, question)

    def head(at: int, pages: int) -> str:
        if not found:
            return strings("answers.none", title=title)
        return strings("answers.page", title=title, count=len(found), page=at + 1, pages=pages)

    pages = answer_pages(c, strings, found, head, with_question=False)
    number = min(max(number, 0), len(pages) - 1)
    return Reply(
        pages.html(number),
        _nav(strings, number, len(pages), lambda n: f"ans:q:{question}:{n}"),
        edit=True,
    )


def search_page(
    c: Collected, strings: Strings, words: str, number: int, *, edit: bool = False
) -> Reply:
    """Page `number` (from 0, clamped) of the answers containing `words`."""
    found = c.search(words)

    def head(at: int, pages: int) -> str:
        if not found:
            return strings("answers.none_found", words=words)
        return strings(
            "answers.search_page", words=words, count=len(found), page=at + 1, pages=pages
        )

    pages = answer_pages(c, strings, found, head, with_question=True)
    number = min(max(number, 0), len(pages) - 1)
    return Reply(
        pages.html(number),
        _nav(strings, number, len(pages), lambda n: f"ans:s:{n}:{words}"),
        edit=edit,
    )


def answer_pages(
    c: Collected,
    strings: Strings,
    entries: Sequence[Entry],
    head: Callable[[int, int], str],
    *,
    with_question: bool,
) -> Pages:
    """The pages /answers shows of these answers (each edited into the one message, so
    each within Telegram's 4096); a long answer goes on over the pages after it."""

    def block(piece: Piece) -> str:
        entry = piece.entry
        question = ""
        if with_question:
            question = strings("answers.in_question", title=c.titles.get(entry.question, ""))
        if piece.continued:
            question += strings("answers.continued")
        shown = strings(
            "answers.entry",
            name=c.name(entry.person),
            # The day in UTC: a page of answers has no one person's zone to show it in.
            date=short_date(entry.answered_at, UTC_ZONE, strings),
            quote=strings.plain(f"quote.mark_{entry.quote.value}"),
            question=Markup(question),
            text=piece.text,
        )
        return f"{shown}\n{strings('answers.continues')}" if piece.continues else shown

    return paginate(entries, head, block, PAGE)


def _nav(
    strings: Strings, number: int, pages: int, data: Callable[[int], str]
) -> tuple[tuple[Button, ...], ...]:
    row = []
    if number > 0:
        row.append(Button(strings.plain("answers.previous"), data(number - 1)))
    if number < pages - 1:
        row.append(Button(strings.plain("answers.next"), data(number + 1)))
    back = (Button(strings.plain("answers.questions"), "ans:l"),)
    return (tuple(row), back) if row else (back,)


async def export(update: Update, context: BotContext) -> None:
    """/export: answers.xlsx and answers.csv as documents."""
    user = update.effective_user
    assert user is not None
    strings = context.strings
    titles = session_titles(context)
    # Seconds of reading and building for a large course: others write meanwhile.
    async with context.store.paused():
        c = await _collected(context)
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
        c = await _collected(context)
        shape = funnel(c, context.bot_data.content, strings, session_titles(context))
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
    content = context.bot_data.content
    sections = [s.id for s in content.course(content.default_language).sections]
    async with context.store.paused():
        c = await _collected(context)
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
            context.store, context.bot_data.content, strings, settings, session, now
        )
    caption = strings("digest.caption", title=shown.title)
    replies: list[Out] = [
        Reply(digest_summary(shown, strings)),
        Document(file_name(session), page.encode("utf-8"), caption),
    ]
    await respond(update, context, replies)
