"""Checks across the flow files of a content folder: kinds, codes, reflection flows."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from flows.model import Flow, FlowKind

__all__ = ["check_flow_set"]


def _line(path: Path, pattern: str) -> int:
    """The first line matching `pattern` (a regular expression), else 1."""
    text = path.read_text(encoding="utf-8")
    found = re.search(pattern, text, re.M)
    return text.count("\n", 0, found.start()) + 1 if found else 1


def check_flow_set(flows: Mapping[Path, Flow]) -> list[str]:
    """Problems as `file:line: what` (each file is one flow, already valid on its own).

    The shell has one flow of each kind but reflection, found by id; reflection flows
    may be several, one per group of sessions, whose answers are read together (so a
    step id names one step of one of them).
    """
    problems: list[str] = []
    codes: dict[str, Path] = {}
    unlinked: Path | None = None
    linked: dict[str, Path] = {}
    step_ids: dict[str, Path] = {}
    for path, flow in flows.items():
        if flow.code in codes:
            problems.append(f"{path}:{_line(path, '^code')}: flow code {flow.code!r} is used twice")
        codes.setdefault(flow.code, path)
        if flow.kind is not FlowKind.REFLECTION:
            if flow.id != flow.kind:
                problems.append(
                    f"{path}:{_line(path, '^kind')}: the flow of kind {flow.kind} must have"
                    f" id {flow.kind.value!r} (the bot has one)"
                )
            continue
        if not flow.sessions and unlinked is not None:
            problems.append(
                f"{path}:{_line(path, '^kind')}: a second reflection flow for every session"
                f' (the first is {unlinked}): say which it is for, like sessions = ["s2"]'
            )
        unlinked = unlinked or (path if not flow.sessions else None)
        for session in flow.sessions:
            if session in linked:
                problems.append(
                    f"{path}:{_line(path, '^sessions')}: session {session!r} already has"
                    f" a reflection flow ({linked[session]})"
                )
            linked.setdefault(session, path)
        for step in flow.steps:
            if step.id in step_ids:
                line = _line(path, rf'^id\s*=\s*"{re.escape(step.id)}"')
                problems.append(
                    f"{path}:{line}: step id {step.id!r} is in"
                    f" {step_ids[step.id]} too (reflection flows are read together: give it"
                    " another id)"
                )
            step_ids.setdefault(step.id, path)
    return problems
