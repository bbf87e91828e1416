"""What was collected, as facilitators read it: an entry per participant per question.

Each entry as it stands now, and as first given where an edit changed it. Built
from a few bulk reads (`store/collected.py`), in memory: /answers pages and searches
it (bot/reports/answers_pages.py), the exports write it out, /stats counts it.
Deleted participants are simply not there; `anonymise` replaces names by
"Participant 17" (numbered in the order people joined) and leaves out contact details.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from flows.content import Content
from flows.model import FlowKind, Kind, Step
from flows.strings import Strings
from flows.views import shown_value
from store import collected, consent
from store import roles as role_store
from store.collected import Given, Person
from store.consent import Quote
from store.db import Store, from_db
from store.registrations import Registration

__all__ = ["Collected", "Entry", "Part", "Version", "collect", "joined", "staff_ids"]

# The reflection flows (content/flows/*.toml, kind = "reflection") are read together, and
# those of kind "after" (asked after the session) too; the registration's "knows" step
# says how someone knows the subject.


class Part(NamedTuple):
    """One step of a question's answer, e.g. the quick choice or the words that follow.
    (A named tuple: an export makes one per step per person, and these are made fastest.)"""

    label: str
    value: str  # as shown: typed text as typed, a choice by its label


def joined(parts: tuple[Part, ...]) -> str:
    """A question's steps read as one answer: "Partly — because…"."""
    return " — ".join(part.value for part in parts if part.value)


class Version(NamedTuple):
    """An answer as first given, before the participant edited it."""

    parts: tuple[Part, ...]  # the earliest version of each step
    answered_at: datetime  # the latest of those: when that version was complete

    @property
    def text(self) -> str:
        return joined(self.parts)


@dataclass(frozen=True, slots=True)
class Entry:
    """One participant's answer to one question (its steps together), as it stands now."""

    person: Person
    question: str
    parts: tuple[Part, ...]
    answered_at: datetime
    quote: Quote  # how it may be used in the live session, as its author chose
    first: Version | None = None  # set only when an edit changed what it says

    @property
    def text(self) -> str:
        return joined(self.parts)


@dataclass(repr=False)
class Collected:
    people: list[Person]
    questions: tuple[str, ...]  # the five
    titles: dict[str, str]  # question id → its short label
    step_labels: dict[str, list[tuple[str, str]]]  # question id → [(step id, label)]
    entries: dict[str, list[Entry]]  # question id → newest first
    values: dict[int, dict[str, str]]  # participant → step id → value as shown
    registrations: list[Registration]
    reads: list[tuple[int, str]]
    anonymise: bool
    later: tuple[str, ...] = ()  # questions asked after the session (not among the five)
    choices: frozenset[str] = frozenset()  # step ids answered by a button (Yes / Partly / No)
    knows: dict[str, str] = field(default_factory=dict)  # "how you know it": choice → label
    _names: dict[int, str] = field(default_factory=dict)
    _registered: dict[int, Registration] = field(default_factory=dict)

    def __repr__(self) -> str:
        # Short on purpose: asyncio.run() formats the repr of its main task's result
        # when it restores the SIGINT handler (Python 3.11), and the generated one
        # spelled out every answer — seconds and hundreds of MB for a large export.
        answers = sum(len(found) for found in self.entries.values())
        return f"<Collected {len(self.people)} people, {answers} answers>"

    @property
    def every(self) -> tuple[str, ...]:
        """The five, then those asked after the session: what /answers and the exports show."""
        return (*self.questions, *self.later)

    def name(self, person: Person) -> str:
        """How a participant is shown: their name, or "Participant N" when anonymised."""
        if self.anonymise:
            return f"Participant {person.number}"
        return self._names.get(person.telegram_id) or person.name

    def registration_of(self, person: Person) -> Registration | None:
        """Their live registration (one per person), if any."""
        return self._registered.get(person.telegram_id)

    def sections_read(self) -> dict[int, set[str]]:
        """participant → the sections they finished."""
        read: dict[int, set[str]] = {}
        for participant_id, section_id in self.reads:
            read.setdefault(participant_id, set()).add(section_id)
        return read

    def questions_answered(self) -> dict[int, set[str]]:
        """participant → the questions they answered."""
        answered: dict[int, set[str]] = {}
        for question in self.questions:
            for entry in self.entries[question]:
                answered.setdefault(entry.person.telegram_id, set()).add(question)
        return answered

    def search(self, words: str) -> list[Entry]:
        """Every answer containing `words` (any case), newest first."""
        needle = words.casefold()
        found = [
            entry
            for question in self.every
            for entry in self.entries[question]
            if needle in entry.text.casefold()
        ]
        return sorted(found, key=lambda entry: entry.answered_at, reverse=True)


async def collect(
    store: Store,
    content: Content,
    strings: Strings,
    anonymise: bool,
    quote_default: Quote = Quote.ANONYMOUS,
    staff: Collection[int] = (),
) -> Collected:
    """Read everything facilitators see, once, leaving out `staff` (organisers and
    facilitators trying the bot are not participants: see `staff_ids`).

    Cyclic garbage collection waits meanwhile: the model is hundreds of thousands of
    new objects (none in a cycle), and the collector's scans over them took about a
    third of the time at 10,000 participants (bench/export.py).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return await _collect(store, content, strings, anonymise, quote_default, staff)
    finally:
        if enabled:
            gc.enable()


async def staff_ids(store: Store, configured: Iterable[int]) -> frozenset[int]:
    """Organisers and facilitators: those of settings.toml ([roles]) and those granted."""
    return frozenset(configured) | {grant.telegram_id for grant in await role_store.grants(store)}


async def _collect(
    store: Store,
    content: Content,
    strings: Strings,
    anonymise: bool,
    quote_default: Quote,
    staff: Collection[int],
) -> Collected:
    reflections = content.reflections  # one for every session, or one per few
    owner = {step.id: flow for flow in reflections for step in flow.steps}  # ids are unique
    afterwards = content.flows_of(FlowKind.AFTER)
    # Asked together: the database thread reads the next table while this one is built.
    (people, registrations, reads, quotes), (versions, *more_versions) = await asyncio.gather(
        asyncio.gather(
            collected.people(store),
            collected.registrations(store),
            collected.sections_read(store),
            consent.everyone(store),
        ),
        asyncio.gather(
            *(collected.answer_versions(store, f.id) for f in (*reflections, *afterwards))
        ),
    )
    if staff:
        people = [person for person in people if person.telegram_id not in staff]
        registrations = [r for r in registrations if r.participant_id not in staff]
        reads = [read for read in reads if read[0] not in staff]
    by_id = {person.telegram_id: person for person in people}
    questions = content.question_ids
    steps = {step.id: step for flow in reflections for step in flow.steps if step.question}
    step_labels = content.question_steps(strings)
    titles = content.question_titles(strings)
    later: list[str] = []
    for after in afterwards:  # text steps only (choices are shown by the reflection's labels)
        for asked in after.steps:
            if asked.question and asked.kind is Kind.TEXT and asked.id not in steps:
                steps[asked.id] = asked
                label = strings.plain(asked.label or asked.prompt)
                if asked.question not in step_labels:
                    later.append(asked.question)
                    titles[asked.question] = label
                step_labels.setdefault(asked.question, []).append((asked.id, label))
    for more in more_versions:
        versions = collected.Versions(
            [*versions.latest, *more.latest], [*versions.first, *more.first]
        )
    values: dict[int, dict[str, str]] = {}
    shown: dict[tuple[str, str], str] = {}  # (step, choice) → its label; choices repeat a lot

    def show(step: Step, value: str) -> str:
        if value and step.kind is not Kind.TEXT:
            label = (step.id, value)
            if (value := shown.get(label, "")) == "":
                value = shown[label] = shown_value(owner[step.id], step, label[1], strings)
        return value

    def parts_of(question: str, given: Mapping[str, str]) -> tuple[Part, ...]:
        return tuple(
            Part(label, given.get(step_id, "")) for step_id, label in step_labels[question]
        )

    # (participant, question) → step → its first version, for the questions edited
    # (a few): their other steps' only versions join them in the loop below.
    firsts: dict[tuple[int, str], dict[str, Given]] = {}
    for answer in versions.first:
        if (step := steps.get(answer.step_id)) is not None:
            firsts.setdefault((answer.participant_id, step.question), {})[step.id] = answer

    def first_of(key: tuple[int, str], parts: tuple[Part, ...]) -> Version | None:
        """The answer as first given, if an edit changed it (a skip is no answer)."""
        if (earliest := firsts.get(key)) is None:
            return None
        before = parts_of(key[1], {s: show(steps[s], a.value) for s, a in earliest.items()})
        if before == parts or not any(part.value for part in before):
            return None
        return Version(before, from_db(max(a.answered_at for a in earliest.values())))

    newest: dict[tuple[int, str], str] = {}  # (participant, question) → last answered (ISO)
    for answer in versions.latest:  # 80,000 at 10,000 participants: kept lean
        step = steps.get(answer.step_id)
        pid = answer.participant_id
        if step is None or pid not in by_id:
            continue
        value = answer.value
        if value and step.kind is not Kind.TEXT:
            value = show(step, value)
        if (given := values.get(pid)) is None:
            given = values[pid] = {}
        given[step.id] = value
        key = (pid, step.question)
        if newest.get(key, "") < answer.answered_at:
            newest[key] = answer.answered_at
        if key in firsts:
            firsts[key].setdefault(step.id, answer)
    entries: dict[str, list[Entry]] = {q: [] for q in (*questions, *later)}
    for (participant_id, question), at in newest.items():
        parts = parts_of(question, values[participant_id])
        if any(part.value for part in parts):
            quote = quotes.get((participant_id, question), quote_default)
            first = first_of((participant_id, question), parts)
            entries[question].append(
                Entry(by_id[participant_id], question, parts, from_db(at), quote, first)
            )
    for question in entries:
        entries[question].sort(key=lambda entry: entry.answered_at, reverse=True)
    names = {r.participant_id: r.details.name for r in registrations if r.details.name}
    signing_up = next(iter(content.flows_of(FlowKind.REGISTRATION)), None)
    knows: dict[str, str] = {}
    for step in signing_up.steps if signing_up else ():
        if signing_up and step.id == "knows":
            knows = {o: shown_value(signing_up, step, o, strings) for o in step.values()}
    return Collected(
        people=people,
        questions=questions,
        titles=titles,
        step_labels=step_labels,
        entries=entries,
        values=values,
        registrations=registrations,
        reads=reads,
        anonymise=anonymise,
        later=tuple(later),
        knows=knows,
        choices=frozenset(s.id for s in steps.values() if s.kind is not Kind.TEXT),
        _names=names,
        _registered={r.participant_id: r for r in registrations},
    )
