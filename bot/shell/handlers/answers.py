"""/answers: facilitators read the answers in the chat, a question or a search at a time.

/answers lists the questions; a question's answers come newest first, a page at
a time, with Previous / Next (the message is edited in place); a page holds as
many as fit Telegram's 4096, and an answer longer than that goes on over the next
pages, every word shown. `/answers words` searches every answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from telegram import Update

from bot.reports.answers_pages import Pages, Piece, paginate
from bot.reports.collected import Collected, Entry, collect, staff_ids
from bot.shell.context import BotContext
from bot.shell.handlers.common import respond
from bot.shell.handlers.fallbacks import stale_button
from flows.callback_data import MAX_BYTES, decode, encode
from flows.replies import Button, Reply
from flows.staff_data import AnswerQuestion, AnswerQuestions, AnswerSearch
from flows.strings import Markup, Strings
from flows.when import short_date
from store.consent import Quote

__all__ = [
    "answer_pages",
    "answers",
    "answers_button",
    "collected",
    "fit_words",
    "question_page",
    "search_page",
]

PAGE = 5  # answers at most on a page; fewer when they are long

UTC_ZONE = ZoneInfo("UTC")


async def collected(context: BotContext) -> Collected:
    """What was collected from participants: organisers and facilitators left out."""
    roles = context.settings.roles
    return await collect(
        context.store,
        context.content,
        context.strings,
        context.settings.privacy.anonymise_answers,
        Quote(context.settings.privacy.quote_default),
        await staff_ids(context.store, [*roles.organisers, *roles.facilitators]),
    )


async def answers(update: Update, context: BotContext) -> None:
    """/answers: the questions to choose from; `/answers words`: a search in every answer."""
    async with context.store.paused():  # every answer read: others write meanwhile
        c = await collected(context)
    words = " ".join(context.args or []).strip()
    if words:
        await respond(update, context, [search_page(c, context.strings, fit_words(words), 0)])
        return
    await respond(update, context, [_questions(c, context.strings)])


async def answers_button(update: Update, context: BotContext) -> None:
    """ans:l (the questions), ans:q:<question>:<page>, ans:s:<page>:<words>."""
    query = update.callback_query
    assert query is not None
    pressed = decode(query.data or "")
    if not isinstance(pressed, AnswerQuestions | AnswerQuestion | AnswerSearch):
        await stale_button(update, context)
        return
    c = await collected(context)
    strings = context.strings
    reply: Reply | None = None
    match pressed:
        case AnswerQuestions():
            reply = _questions(c, strings, edit=True)
        case AnswerQuestion(question, page) if question in c.entries:
            reply = question_page(c, strings, question, page)
        case AnswerSearch(page, words):
            reply = search_page(c, strings, words, page, edit=True)
    if reply is None:
        await stale_button(update, context)
        return
    await respond(update, context, [reply])


def fit_words(words: str) -> str:
    """The search words, cut so the page buttons' data stays within Telegram's 64 bytes."""
    room = MAX_BYTES - len(encode(AnswerSearch(999, "")))
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
                encode(AnswerQuestion(q, 0)),
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

    def data(n: int) -> str:
        return encode(AnswerQuestion(question, n))

    return _page(c, strings, found, head, number, data, with_question=False, edit=True)


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

    def data(n: int) -> str:
        return encode(AnswerSearch(n, words))

    return _page(c, strings, found, head, number, data, with_question=True, edit=edit)


def _page(
    c: Collected,
    strings: Strings,
    found: Sequence[Entry],
    head: Callable[[int, int], str],
    number: int,
    data: Callable[[int], str],
    *,
    with_question: bool,
    edit: bool,
) -> Reply:
    """Page `number` (from 0, clamped) of these answers, with the buttons to the others."""
    pages = answer_pages(c, strings, found, head, with_question=with_question)
    number = min(max(number, 0), len(pages) - 1)
    return Reply(pages.html(number), _nav(strings, number, len(pages), data), edit=edit)


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
    back = (Button(strings.plain("answers.questions"), encode(AnswerQuestions())),)
    return (tuple(row), back) if row else (back,)
