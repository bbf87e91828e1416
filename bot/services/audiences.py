"""The broadcasts' audiences: one registry for the composer, the command line, the sends.

An audience is stored in a broadcast as a plain string: a fixed name ("everyone") or
a prefix and an argument ("session_<id>", "missing_<question>", "read_<section>").
A new audience is one entry in `AUDIENCES`, its SQL in store/broadcasts.py
(`_AUDIENCES`, or `_BY_PREFIX` for one that takes an argument) and its label in
content/*/strings.toml.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.base.settings import Settings
from flows.content import Content
from flows.strings import Strings
from store import broadcasts
from store.db import Store

__all__ = [
    "AUDIENCES",
    "GROUPS",
    "Audience",
    "Group",
    "Takes",
    "find",
    "fixed_names",
    "group_of",
    "offered",
    "recipients",
]


class Group(StrEnum):
    """The composer's keyboards of audiences (`bca:<group>` turns to one)."""

    BASIC = "basic"
    SESSION = "session"
    PROGRESS = "progress"


GROUPS = tuple(Group)  # the first is shown first, the others behind a button


class Takes(StrEnum):
    """What follows an audience's prefix: one of these, by its id."""

    SESSION = "session"  # a configured session
    QUESTION = "question"  # a question of a reflection flow
    SECTION = "section"  # a section of the course


@dataclass(frozen=True, slots=True)
class Audience:
    name: str  # the stored string; for one that takes an argument, its prefix ("session_")
    group: Group
    # The strings key of its label ({title}: the session's, question's or section's);
    # "" for `broadcast.options.<name>`, which the composer's flow looks up itself.
    label: str = ""
    takes: Takes | None = None


AUDIENCES: tuple[Audience, ...] = (
    Audience("everyone", Group.BASIC),
    Audience("registered", Group.BASIC),
    Audience("waitlisted", Group.BASIC),
    Audience("unregistered", Group.BASIC),
    Audience("unfinished", Group.BASIC),
    Audience("lang_en", Group.BASIC),
    Audience("lang_nl", Group.BASIC),
    Audience("session_", Group.SESSION, "broadcast.session", Takes.SESSION),
    Audience("not_started", Group.PROGRESS, "broadcast.not_started"),
    Audience("missing_", Group.PROGRESS, "broadcast.missing", Takes.QUESTION),
    Audience("read_", Group.PROGRESS, "broadcast.read_unregistered", Takes.SECTION),
)


def find(audience: str) -> tuple[Audience, str] | None:
    """The registry's entry for a stored audience string, and its argument ("" if none)."""
    for entry in AUDIENCES:
        if entry.takes is None and audience == entry.name:
            return entry, ""
        if entry.takes is not None and audience.startswith(entry.name):
            return entry, audience.removeprefix(entry.name)
    return None


def group_of(audience: str) -> Group:
    """The keyboard an audience is on (one the registry does not know: the first)."""
    found = find(audience)
    return found[0].group if found else Group.BASIC


def fixed_names(group: Group = Group.BASIC) -> tuple[str, ...]:
    """The audiences of a group that take no argument, e.g. for `mooc-bot broadcast --help`."""
    return tuple(a.name for a in AUDIENCES if a.group is group and a.takes is None)


def _arguments(takes: Takes, content: Content, settings: Settings) -> dict[str, str]:
    """Each argument an audience can take now: its id and its title."""
    if takes is Takes.SESSION:
        return {s.id: s.title for s in settings.sessions}
    if takes is Takes.QUESTION:
        return content.question_titles(content.strings(content.default_language))
    sections = content.course(content.default_language).sections
    return {s.id: s.title for s in sections}


def offered(content: Content, settings: Settings) -> dict[str, str]:
    """Every audience one can choose now, in the registry's order, with its label in the
    default language ("" for those labelled by `broadcast.options.<name>`)."""
    strings = content.strings(content.default_language)
    shown: dict[str, str] = {}
    for entry in AUDIENCES:
        if entry.takes is None:
            shown[entry.name] = strings.plain(entry.label) if entry.label else ""
            continue
        for argument, title in _arguments(entry.takes, content, settings).items():
            shown[entry.name + argument] = _label(strings, entry.label, title)
    return shown


def _label(strings: Strings, key: str, title: str) -> str:
    return strings.plain(key).format(title=title)


async def recipients(
    db: Store, audience: str, *, staff: Collection[int], reflections: Sequence[str]
) -> list[int]:
    """Who an audience is right now: active participants, never staff, oldest first."""
    return await broadcasts.audience_ids(db, audience, staff=staff, reflections=reflections)
