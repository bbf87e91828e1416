"""The course: sections of cards, loaded from Markdown, and how a participant moves through it.

A section file is `content/<lang>/course/<n>-<id>.md`: TOML front matter between
`+++` lines (id, order, title, question), then cards separated by lines holding
only `---`. Navigation is pure: it takes a `Progress` and an action and returns
the new progress and the replies, so double taps and old buttons are decided
here, not in Telegram code.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from flows.callback_data import decode, encode
from flows.markdown import to_telegram_html
from flows.participant_data import (
    CourseJump,
    CourseLater,
    CourseNext,
    CourseNextSection,
    CourseResume,
    ReflectNow,
)
from flows.replies import Button, ClearButtons, Out, Reply
from flows.strings import ContentError, Strings, read_problem

__all__ = [
    "Course",
    "CourseAction",
    "Progress",
    "Section",
    "load_course",
    "navigate",
    "sections_reply",
]

_CARD_BREAK = re.compile(r"^\s*---\s*$")
_ID = re.compile(r"^[a-z][a-z0-9-]{0,15}$")


@dataclass(frozen=True)
class Section:
    id: str
    order: int
    title: str
    question: str
    cards: tuple[str, ...]
    path: Path
    card_lines: tuple[int, ...] = ()


@dataclass(frozen=True)
class Course:
    language: str
    sections: tuple[Section, ...]

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)

    def after(self, section_id: str) -> Section | None:
        ids = [s.id for s in self.sections]
        index = ids.index(section_id) if section_id in ids else -1
        return self.sections[index + 1] if 0 <= index < len(ids) - 1 else None


@dataclass(frozen=True)
class Progress:
    """Where a participant is: the card last shown, and the sections read to the end."""

    section_id: str | None = None
    card: int = 0
    finished: frozenset[str] = field(default_factory=frozenset)

    def at(self, section: Section, card: int) -> Progress:
        done = self.finished | {section.id} if card == len(section.cards) - 1 else self.finished
        return replace(self, section_id=section.id, card=card, finished=frozenset(done))


# --- loading -----------------------------------------------------------------------


def _front_matter(path: Path, lines: list[str]) -> tuple[dict[str, Any], int]:
    if not lines or lines[0].strip() != "+++":
        raise ContentError([f"{path}:1: front matter missing: start the file with a +++ line"])
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "+++")
    except StopIteration:
        raise ContentError([f"{path}:1: front matter not closed by a +++ line"]) from None
    front = "\n".join(lines[1:end])
    try:
        data = tomllib.loads(front)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise ContentError([read_problem(path, exc, front, first_line=2)]) from None
    return data, end + 1


def _check_front(path: Path, data: dict[str, Any]) -> list[str]:
    problems = []
    expected = {"id": str, "order": int, "title": str, "question": str}
    for key, kind in expected.items():
        if key not in data:
            problems.append(f"{path}:2: front matter: {key} is missing")
        elif not isinstance(data[key], kind) or isinstance(data[key], bool):
            problems.append(f"{path}:2: front matter: {key} must be a {kind.__name__}")
    for key in sorted(set(data) - set(expected)):
        problems.append(f"{path}:2: front matter: unknown key {key}")
    if isinstance(data.get("id"), str) and not _ID.match(data["id"]):
        problems.append(f"{path}:2: front matter: id must be lowercase letters, digits or -")
    return problems


def load_section(path: Path) -> Section:
    lines = path.read_text(encoding="utf-8").splitlines()
    data, body_start = _front_matter(path, lines)
    problems = _check_front(path, data)
    if problems:
        raise ContentError(problems)
    cards: list[str] = []
    starts: list[int] = []
    chunk: list[str] = []
    chunk_start = body_start + 1
    for number, line in enumerate([*lines[body_start:], "---"], start=body_start + 1):
        if _CARD_BREAK.match(line):
            text = "\n".join(chunk).strip()
            if text:
                cards.append(to_telegram_html(text))
                starts.append(chunk_start)
            elif number <= len(lines):
                raise ContentError([f"{path}:{number}: empty card before this --- line"])
            chunk, chunk_start = [], number + 1
        else:
            chunk.append(line)
    if not cards:
        raise ContentError([f"{path}:{body_start + 1}: the section has no cards"])
    return Section(
        data["id"],
        data["order"],
        data["title"],
        data["question"],
        tuple(cards),
        path,
        tuple(starts),
    )


def load_course(folder: Path, language: str) -> Course:
    """All sections in `folder`, in their `order`; every problem in one ContentError."""
    problems: list[str] = []
    sections: list[Section] = []
    for path in sorted(folder.glob("*.md")):
        try:
            sections.append(load_section(path))
        except ContentError as exc:
            problems.extend(exc.lines)
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(read_problem(path, exc))
    if not sections and not problems:
        problems.append(f"{folder}: no course sections (*.md) found")
    seen: dict[Any, Path] = {}
    for section in sections:
        for key in (("id", section.id), ("order", section.order)):
            if key in seen:
                problems.append(f"{section.path}:2: {key[0]} {key[1]!r} also used in {seen[key]}")
            seen[key] = section.path
    if problems:
        raise ContentError(problems)
    return Course(language, tuple(sorted(sections, key=lambda s: s.order)))


# --- navigation -------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseAction:
    """What the participant asked for. kind: resume | next | next_section | jump | later."""

    kind: str
    section_id: str = ""
    card: int = -1

    @classmethod
    def parse(cls, data: str) -> CourseAction | None:
        """From a course button's callback data; None when malformed."""
        match decode(data):
            case CourseResume():
                return cls("resume")
            case CourseNext(section, card):
                return cls("next", section, card)
            case CourseNextSection(section):
                return cls("next_section", section)
            case CourseJump(section):
                return cls("jump", section)
            case CourseLater(section):
                return cls("later", section)
        return None


def card_reply(course: Course, strings: Strings, section: Section, card: int) -> Reply:
    """A card with the button that fits where it stands in its section."""
    last = card == len(section.cards) - 1
    if not last:
        button = Button(strings.plain("course.next"), encode(CourseNext(section.id, card)))
        return Reply(section.cards[card], ((button,),))
    rows: list[tuple[Button, ...]] = []
    if section.question:
        rows.append(
            (Button(strings.plain("reflection.reflect_now"), encode(ReflectNow(section.question))),)
        )
    following = course.after(section.id)
    if following is not None:
        label = strings.plain("course.next_section").format(title=following.title)
        rows.append((Button(label, encode(CourseNextSection(section.id))),))
        rows.append((Button(strings.plain("course.later"), encode(CourseLater(section.id))),))
    else:
        rows.append((Button(strings.plain("course.all_sections"), encode(CourseJump(""))),))
    return Reply(section.cards[card], tuple(rows))


def _show(
    course: Course, strings: Strings, progress: Progress, section: Section, card: int
) -> tuple[Progress, list[Out]]:
    replies: list[Out] = [card_reply(course, strings, section, card)]
    moved = progress.at(section, card)
    everything = {s.id for s in course.sections}
    if card == len(section.cards) - 1 and everything <= moved.finished:
        replies.append(Reply(strings("course.finished")))
    return moved, replies


def navigate(
    course: Course, strings: Strings, progress: Progress, action: CourseAction
) -> tuple[Progress, list[Out]]:
    """The new progress and what to show; an outdated button changes nothing."""
    current = course.section(progress.section_id or "")
    if action.kind == "resume":
        if current is None:
            return _show(course, strings, progress, course.sections[0], 0)
        if current.id not in progress.finished:
            return _show(
                course, strings, progress, current, min(progress.card, len(current.cards) - 1)
            )
        unread = [s for s in course.sections if s.id not in progress.finished]
        following = course.after(current.id)
        target = following if following and following.id not in progress.finished else None
        target = target or (unread[0] if unread else None)
        if target is None:
            return progress, [sections_reply(course, strings, progress)]
        return _show(course, strings, progress, target, 0)
    if action.kind == "jump":
        section = course.section(action.section_id)
        if section is None:
            return progress, [sections_reply(course, strings, progress)]
        return _show(course, strings, progress, section, 0)
    on_current_card = current is not None and action.section_id == current.id
    if action.kind == "next" and on_current_card and action.card == progress.card:
        assert current is not None
        if action.card < len(current.cards) - 1:
            moved, replies = _show(course, strings, progress, current, action.card + 1)
            return moved, [ClearButtons(), *replies]
    if (
        action.kind == "next_section"
        and on_current_card
        and current
        and current.id in progress.finished
    ):
        following = course.after(current.id)
        if following is not None and progress.card == len(current.cards) - 1:
            moved, replies = _show(course, strings, progress, following, 0)
            return moved, [ClearButtons(), *replies]
    if action.kind == "later" and on_current_card:
        return progress, [ClearButtons(), Reply(strings("course.see_you"))]
    return progress, [ClearButtons(stale=strings.plain("course.stale"))]


def sections_reply(course: Course, strings: Strings, progress: Progress) -> Reply:
    """The list of sections, ✓ for those read, each a button to jump there."""
    rows = tuple(
        (
            Button(
                f"{'✓' if s.id in progress.finished else '○'} {s.order}. {s.title}",
                encode(CourseJump(s.id)),
            ),
        )
        for s in course.sections
    )
    done = len(progress.finished & {s.id for s in course.sections})
    return Reply(strings("course.sections", done=done, total=len(course.sections)), rows)
