"""`mooc-bot check-content`: every content file, checked as Telegram will see it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.sandbox.telegram_html import HtmlError, parse_html, utf16_len
from flows.content import Content, ContentError, load_content, placeholders, string_line
from flows.course import Course

__all__ = ["ContentReport", "check_content"]

MAX_TEXT = 4096
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


def check_content(languages: list[str], default_language: str, root: Path) -> ContentReport:
    """Load and check the content; errors stop the bot, warnings (missing translations) do not."""
    report = ContentReport()
    try:
        content = load_content(languages, default_language, root=root)
    except ContentError as exc:
        report.errors.extend(exc.lines)
        return report
    for language in content.languages:
        strings = content.strings(language)
        path = root / language / "strings.toml"
        for key in strings.own:
            try:
                names = placeholders(strings.raw(key))
                parse_html(
                    strings(key, **{n: SAMPLE.get(n, "Sample <text> & more") for n in names})
                )
            except (HtmlError, KeyError, IndexError, ValueError) as exc:
                report.errors.append(f"{path}:{string_line(path, key)}: {key}: {exc}")
        for key in strings.missing():
            report.warnings.append(f"{path}: {key}: missing, the English text is used")
        if language in content.courses:
            _check_course(content.courses[language], report)
    report.content = content
    return report
