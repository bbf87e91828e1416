"""The pre-session digest's page: what the room thinks, built from what was collected.

For each reflection question: how many answered, the split of its quick choices
(62 % Yes / 30 % Partly / 8 % No) and the answers that may be quoted, each marked
by name or "anonymous" as its author chose; answers kept for the organisers are
counted, never shown. A session's digest covers the people seated in it; without
a session, everyone.

It is an HTML document (the layout is `content/templates/digest.html.j2`, every
word a UI string) and a short summary in the chat. When it is sent is
bot/services/digest.py's part.
"""

from __future__ import annotations

import asyncio
import html
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import jinja2

from bot.base.settings import SessionSettings, Settings
from bot.reports.collected import Collected, Entry, collect
from flows.content import Content
from flows.model import Kind
from flows.sessions import session_when
from flows.strings import Strings
from flows.views import shown_value
from store.consent import Quote
from store.db import Store
from store.registrations import RegistrationStatus

__all__ = [
    "TEMPLATE",
    "Digest",
    "QuestionDigest",
    "Quoted",
    "Share",
    "build_digest",
    "digest_html",
    "digest_summary",
    "file_name",
    "make_digest",
]

TEMPLATE = "digest.html.j2"
SEATED = (RegistrationStatus.REGISTERED, RegistrationStatus.ATTENDED)


@dataclass(frozen=True)
class Share:
    label: str
    count: int
    percent: int


@dataclass(frozen=True)
class Quoted:
    by: str  # the author's name, or the word for "anonymous"
    choices: tuple[str, ...]  # the quick choices made, by their labels
    words: tuple[tuple[str, str], ...]  # (step label, text) of what was typed


@dataclass(frozen=True)
class QuestionDigest:
    title: str
    answers: int
    splits: tuple[tuple[str, tuple[Share, ...]], ...]  # per choice step: its label, its shares
    quotes: tuple[Quoted, ...]
    private: int  # answers kept for the organisers: counted, not shown


@dataclass(frozen=True)
class Digest:
    title: str
    everyone: bool  # not one session's people: everyone the bot holds
    when: str
    people: int  # seated in the session (or everyone)
    answered_all: int
    made_at: datetime
    questions: tuple[QuestionDigest, ...]

    @property
    def quotable(self) -> int:
        return sum(len(q.quotes) for q in self.questions)


def shares(counts: Counter[str], order: Sequence[str]) -> tuple[Share, ...]:
    """Whole percentages that add up to 100 (largest remainder), in `order`."""
    total = sum(counts.values())
    if total == 0:
        return tuple(Share(label, 0, 0) for label in order)
    exact = {label: 100 * counts[label] / total for label in order}
    percent = {label: int(value) for label, value in exact.items()}
    short = 100 - sum(percent.values())
    for label in sorted(order, key=lambda k: exact[k] - percent[k], reverse=True)[:short]:
        percent[label] += 1
    return tuple(Share(label, counts[label], percent[label]) for label in order)


def build_digest(
    c: Collected,
    content: Content,
    strings: Strings,
    session: SessionSettings | None,
    now: datetime,
) -> Digest:
    """The digest of `session` (the people seated in it), or of everyone."""
    if session is None:
        scope = {person.telegram_id for person in c.people}
        title, when = strings.plain("digest.everyone"), ""
    else:
        scope = {
            r.participant_id
            for r in c.registrations
            if r.session_id == session.id and r.status in SEATED
        }
        title = session.title
        duration = session.ends_at - session.starts_at
        when = html.unescape(session_when(session.starts_at, duration, session.zone, strings))
    # The reflection flows asked: the session's own, or for everyone all of them.
    flows = content.reflections if session is None else (content.reflection_for([session.id]),)
    asked = [(flow, step) for flow in flows for step in flow.steps]
    anonymous = strings.plain("digest.anonymous")
    questions = []
    for question in c.questions:
        entries = [e for e in c.entries[question] if e.person.telegram_id in scope]
        splits = []
        choice_labels = set()
        for flow, step in asked:
            if step.question != question or step.kind is Kind.TEXT:
                continue
            label = dict(c.step_labels[question])[step.id]
            choice_labels.add(label)
            order = [shown_value(flow, step, v, strings) for v in step.values()]
            counts = Counter(
                value
                for e in entries
                if (value := c.values.get(e.person.telegram_id, {}).get(step.id, ""))
            )
            splits.append((label, shares(counts, order)))
        quotable = [e for e in reversed(entries) if e.quote is not Quote.PRIVATE]
        questions.append(
            QuestionDigest(
                title=c.titles[question],
                answers=len(entries),
                splits=tuple(splits),
                quotes=tuple(
                    q for e in quotable if (q := _quoted(c, e, anonymous, choice_labels)).words
                ),
                private=len(entries) - len(quotable),
            )
        )
    answered = c.questions_answered()
    return Digest(
        title=title,
        everyone=session is None,
        when=when,
        people=len(scope),
        answered_all=sum(len(answered.get(pid, ())) == len(c.questions) for pid in scope),
        made_at=now,
        questions=tuple(questions),
    )


def _quoted(c: Collected, entry: Entry, anonymous: str, choice_labels: set[str]) -> Quoted:
    by = c.name(entry.person) if entry.quote is Quote.NAME and not c.anonymise else anonymous
    given = [p for p in entry.parts if p.value]
    return Quoted(
        by,
        tuple(p.value for p in given if p.label in choice_labels),
        tuple((p.label, p.value) for p in given if p.label not in choice_labels),
    )


def digest_html(digest: Digest, strings: Strings, templates: Path) -> str:
    """The digest as one self-contained HTML page (printable, no outside resources)."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template(TEMPLATE).render(
        digest=digest, t=strings.plain, language=strings.language
    )


def digest_summary(digest: Digest, strings: Strings) -> str:
    """A few lines for the chat: the figures per question, the quotable answers."""
    lines = [
        strings("digest.summary_title", title=digest.title),
        strings(
            "digest.summary_everyone" if digest.everyone else "digest.summary_people",
            people=digest.people,
            answered_all=digest.answered_all,
            quotable=digest.quotable,
        ),
    ]
    for question in digest.questions:
        split = " / ".join(
            f"{share.percent} % {share.label}"
            for _, step_shares in question.splits[:1]
            for share in step_shares
        )
        lines.append(
            strings(
                "digest.summary_question",
                title=question.title,
                answers=question.answers,
                split=f" · {split}" if split and question.answers else "",
            )
        )
    return "\n".join(lines)


async def make_digest(
    store: Store,
    content: Content,
    strings: Strings,
    settings: Settings,
    session: SessionSettings | None,
    now: datetime,
) -> tuple[Digest, str]:
    """Read, build and lay out: the digest and its HTML."""
    c = await collect(
        store,
        content,
        strings,
        settings.privacy.anonymise_answers,
        Quote(settings.privacy.quote_default),
    )
    digest = build_digest(c, content, strings, session, now)
    templates = settings.content_dir / "templates"
    return digest, await asyncio.to_thread(digest_html, digest, strings, templates)


def file_name(session: SessionSettings | None) -> str:
    """What the page is called when sent or saved."""
    return f"digest-{session.id if session else 'everyone'}.html"
