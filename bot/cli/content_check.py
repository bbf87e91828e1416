"""Every content file, checked as Telegram will see it (before every `mooc-bot` command)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import jinja2

from bot.base.telegram_html import HtmlError, parse_html, utf16_len
from bot.reports.digest_page import TEMPLATE, Digest, QuestionDigest, Quoted, Share, digest_html
from flows.content import Content, ContentError, Strings, load_content, placeholders, string_line
from flows.course import Course
from flows.model import FlowKind

__all__ = ["ContentReport", "check_content", "check_template"]

MAX_TEXT = 4096
# The flows some code asks for by id (bot/shell/handlers/registration.py, reflection.py,
# broadcast.py, bot/services/followup.py): without the file, that command fails for every user.
# Placeholder values long enough to catch a template that only fits when empty.
SAMPLE = {
    "name": "Alexandra-Maria",
    "language": "Nederlands",
    "joined": "28 Nov 2026",
    "command": "/something",
    "link": "https://t.me/learning_culture_bot",
    "title": "Introduction",
    "done": 2,
    "total": 4,
}


def _sample_digest(everyone: bool) -> Digest:
    """A digest that takes every branch of the template: figures, splits, quotes, none."""
    split = (Share("Yes", 5, 62), Share("Partly", 2, 25), Share("No", 1, 13))
    quote = Quoted("Alexandra-Maria", ("Yes",), (("Why", "Sample <text> & more"), ("And", "…")))
    return Digest(
        title="Introduction",
        everyone=everyone,
        when="" if everyone else "Thursday 21 January 2027, 16:00–17:30 (UTC+01:00)",
        people=8,
        answered_all=3,
        made_at=datetime(2027, 1, 21, 14, 0, tzinfo=UTC),
        questions=(
            QuestionDigest("First", 8, (("First", split), ("A choice", split)), (quote,), 1),
            QuestionDigest("Second", 0, (), (), 0),
        ),
    )


def check_template(templates: Path, strings: Strings) -> list[str]:
    """The digest's template, compiled and laid out with sample data: `file:line: what`."""
    path = templates / TEMPLATE
    try:
        for everyone in (False, True):
            digest_html(_sample_digest(everyone), strings, templates)
    except jinja2.TemplateSyntaxError as exc:
        return [f"{exc.filename or path}:{exc.lineno}: {exc.message}"]
    except jinja2.TemplateNotFound:
        return [f"{path}: file not found"]
    except Exception as exc:  # whatever the template's expressions raise, it is one line
        where = _template_frame(exc, templates) or f"{path}"
        what = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        return [f"{where}: fails on sample data: {what}"]
    return []


def _template_frame(exc: Exception, templates: Path) -> str | None:
    """`file:line` of the template line that raised (Jinja puts template lines in tracebacks)."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        name = Path(tb.tb_frame.f_code.co_filename)
        if name.parent.resolve() == templates.resolve():
            found = f"{name}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found


@dataclass
class ContentReport:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    content: Content | None = None


def _check_course(course: Course, report: ContentReport) -> None:
    for section in course.sections:
        for number, (card, line) in enumerate(
            zip(section.cards, section.card_lines, strict=True), 1
        ):
            where = f"{section.path}:{line}: card {number}"
            try:
                text, _ = parse_html(card)
            except HtmlError as exc:
                report.errors.append(f"{where}: not valid Telegram HTML: {exc}")
                continue
            if utf16_len(text) > MAX_TEXT:
                report.errors.append(
                    f"{where}: {utf16_len(text)} characters, Telegram allows {MAX_TEXT}"
                )


def check_content(
    languages: list[str],
    default_language: str,
    root: Path,
    sessions: Collection[str] | None = None,
) -> ContentReport:
    """Load and check the content; errors stop the bot, warnings (missing translations) do not.

    With the settings' `sessions` (their ids), a reflection flow must name only those.
    """
    report = ContentReport()
    try:
        content = load_content(languages, default_language, root=root)
    except ContentError as exc:
        report.errors.extend(exc.lines)
        return report
    for kind in FlowKind:  # the bot needs a flow of every kind
        if not content.flows_of(kind):
            report.errors.append(
                f"{root / 'flows' / f'{kind}.toml'}: missing (the bot needs the {kind} flow)"
            )
    known = set(sessions or ())
    for flow in content.reflections if sessions is not None else ():
        report.errors += [
            f"{root / 'flows'}: flow {flow.id!r}: sessions: {name!r} is not a session"
            " of the settings"
            for name in flow.sessions
            if name not in known
        ]
    for language in content.languages:
        strings = content.strings(language)
        path = root / language / "strings.toml"
        for key in strings.own:
            try:
                names = placeholders(strings.raw(key))
                parse_html(
                    strings(key, **{n: SAMPLE.get(n, "Sample <text> & more") for n in names})
                )
            except (HtmlError, KeyError, IndexError, ValueError, AttributeError, TypeError) as exc:
                report.errors.append(f"{path}:{string_line(path, key)}: {key}: {exc}")
        for key in strings.missing():
            report.warnings.append(f"{path}: {key}: missing, the English text is used")
        if language in content.courses:
            _check_course(content.courses[language], report)
    for language in content.languages:  # one language that breaks the layout is enough to say
        if found := check_template(root / "templates", content.strings(language)):
            report.errors += found
            break
    report.content = content
    return report
