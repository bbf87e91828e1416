"""Loads the words the bot says from content/, one folder per language.

Strings are Telegram-HTML templates kept in `content/<lang>/strings.toml`. A key
missing in a language falls back to English; a key missing everywhere is a bug
and raises `ContentError` at start-up, not in front of a participant.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.course import Course, load_course
from flows.flow_loader import load_flows
from flows.model import Flow, FlowKind
from flows.strings import FALLBACK, ContentError, Strings, flatten, read_problem

__all__ = [
    "CONTENT_DIR",
    "FALLBACK",
    "Content",
    "ContentError",
    "Strings",
    "load_content",
    "placeholders",
    "string_line",
]

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
_TABLE = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(?:#.*)?$")


@dataclass(frozen=True)
class Content:
    """Everything under content/ for the configured languages."""

    strings_by_language: Mapping[str, Strings]
    default_language: str
    courses: Mapping[str, Course]
    flows: Mapping[str, Flow]

    def flows_of(self, kind: FlowKind) -> tuple[Flow, ...]:
        """The flows of a kind, in file order (e.g. the reflection flows, one per session)."""
        return tuple(flow for flow in self.flows.values() if flow.kind is kind)

    @property
    def reflections(self) -> tuple[Flow, ...]:
        return self.flows_of(FlowKind.REFLECTION)

    @property
    def reflection_ids(self) -> tuple[str, ...]:
        """The ids of the reflection flows: where the course's answers are stored."""
        return tuple(flow.id for flow in self.reflections)

    def reflection_for(self, sessions: Iterable[str]) -> Flow:
        """The reflection flow of someone in `sessions`: the one naming one of them, else
        the one for every session (flows/flow_set.py allows one), else the first."""
        wanted = set(sessions)
        flows = self.reflections
        named = next((flow for flow in flows if wanted & set(flow.sessions)), None)
        return named or next((flow for flow in flows if not flow.sessions), flows[0])

    @property
    def question_ids(self) -> tuple[str, ...]:
        """The reflection questions (q1…q5), from the reflection flows' steps."""
        return tuple(dict.fromkeys(q for flow in self.reflections for q in flow.questions))

    def question_steps(self, strings: Strings) -> dict[str, list[tuple[str, str]]]:
        """question → [(step id, its label)], in order; the first label names the question."""
        steps = [step for flow in self.reflections for step in flow.steps]
        return {
            q: [(s.id, strings.plain(s.label or s.prompt)) for s in steps if s.question == q]
            for q in self.question_ids
        }

    def question_titles(self, strings: Strings) -> dict[str, str]:
        """question → its short title (the label of its first step)."""
        return {q: labels[0][1] for q, labels in self.question_steps(strings).items() if labels}

    @property
    def languages(self) -> list[str]:
        return list(self.strings_by_language)

    def strings(self, language: str | None) -> Strings:
        if language is not None and language in self.strings_by_language:
            return self.strings_by_language[language]
        return self.strings_by_language[self.default_language]

    def course(self, language: str | None) -> Course:
        """The course in `language`, else in English."""
        if language is not None and language in self.courses:
            return self.courses[language]
        return self.courses[FALLBACK]

    def pick_language(self, telegram_code: str | None) -> str:
        """Our language for a Telegram language code such as 'nl' or 'nl-BE'."""
        if telegram_code:
            base = telegram_code.split("-")[0].lower()
            if base in self.strings_by_language:
                return base
        return self.default_language


def _read_toml(path: Path) -> dict[str, Any]:
    text = ""
    try:
        text = path.read_bytes().decode("utf-8")
        return tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
        raise ContentError([read_problem(path, exc, text)]) from None


def string_line(path: Path, key: str) -> int:
    """The line where a dotted key is set: in its [table], else its last part anywhere; else 1."""
    lines = path.read_text(encoding="utf-8").splitlines()
    table, in_text, loose = "", False, 0
    for number, line in enumerate(lines, start=1):
        was_in_text = in_text
        in_text ^= line.count('"""') % 2 == 1  # a multi-line string opens or closes here
        if was_in_text:
            continue
        header = _TABLE.match(line)
        if header:
            table = header.group(1).replace(" ", "").replace('"', "")
            continue
        name = line.split("=")[0].strip().strip('"')
        if name and ".".join(filter(None, (table, name))) == key:
            return number
        if not loose and "=" in line and name == key.rsplit(".", 1)[-1]:
            loose = number
    return loose or 1


def placeholders(template: str) -> set[str]:
    """The names in a template's {placeholders}; ValueError for a stray { or }."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _check_strings(path: Path, own: dict[str, str], english: dict[str, str]) -> list[str]:
    problems = []
    for key, text in own.items():
        where = f"{path}:{string_line(path, key)}: {key}"
        if key not in english:
            problems.append(f"{where}: not an English key (a typo?)")
            continue
        try:
            names = placeholders(text)
        except ValueError as exc:
            problems.append(f"{where}: {exc} (write {{{{ or }}}} for a literal brace)")
            continue
        try:
            extra = names - placeholders(english[key])
        except ValueError:
            continue  # the English string itself is reported
        if extra:
            problems.append(f"{where}: uses a placeholder English does not have")
    return problems


def load_content(
    languages: Iterable[str], default_language: str, root: Path = CONTENT_DIR
) -> Content:
    """Load strings and course of `languages`; English is always loaded as the fallback.

    Raises ContentError listing every problem as `file:line: what is wrong`.
    """
    wanted = list(dict.fromkeys([FALLBACK, *languages]))
    english_path = root / FALLBACK / "strings.toml"
    english = flatten(_read_toml(english_path))
    shipped: dict[str, str] = {}
    if root.resolve() != CONTENT_DIR.resolve():
        # An organiser's own content, perhaps from an older version: a string it lacks
        # (one a newer version added) is the shipped English one, not a crash.
        shipped = flatten(_read_toml(CONTENT_DIR / FALLBACK / "strings.toml"))
    problems: list[str] = []
    loaded: dict[str, Strings] = {}
    courses: dict[str, Course] = {}
    try:
        flows = load_flows(root / "flows", {**shipped, **english})
    except ContentError as exc:
        problems += exc.lines
        flows = {}
    reflections = [flow for flow in flows.values() if flow.kind is FlowKind.REFLECTION]
    question_ids = {s.question for flow in reflections for s in flow.steps}
    for language in wanted:
        folder = root / language
        try:
            own = english if language == FALLBACK else flatten(_read_toml(folder / "strings.toml"))
            problems += _check_strings(folder / "strings.toml", own, {**shipped, **english})
            loaded[language] = Strings(language, own, english, shipped)
            if (folder / "course").is_dir() or language == FALLBACK:
                courses[language] = load_course(folder / "course", language)
        except ContentError as exc:
            problems += exc.lines
            continue
        for section in courses.get(language, Course(language, ())).sections:
            if question_ids and section.question not in question_ids:
                problems.append(
                    f"{section.path}:2: question {section.question!r} is not in "
                    f"{root / 'flows' / 'reflection.toml'}"
                )
    if problems:
        raise ContentError(problems)
    return Content(loaded, default_language, courses, flows)
