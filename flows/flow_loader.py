"""Reads flow definitions (content/flows/*.toml) and checks them against the strings.

The structure of a flow is shared by all languages; every word it shows is a key
into content/<lang>/strings.toml. Problems are reported as `file:line: what`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flows.engine import FORMATS, Flow, Kind, Step
from flows.strings import ContentError

__all__ = ["load_flows"]

_ID = re.compile(r"^[a-z0-9_]{1,16}$")
_STEP_KEYS = {
    "id",
    "prompt",
    "kind",
    "label",
    "options",
    "skippable",
    "min_length",
    "max_length",
    "when",
    "question",
    "single",
    "format",
    "must_be",
    "refused",
}
_FLOW_KEYS = {
    "id",
    "code",
    "strings",
    "review",
    "cancellable",
    "exit_buttons",
    "review_actions",
    "steps",
}
MAX_CALLBACK = 64


def _line(text: str, needle: str, start: int = 0) -> int:
    index = text.find(needle, start)
    return text.count("\n", 0, index) + 1 if index >= 0 else 1


def _check_step(raw: Mapping[str, Any], seen: dict[str, Step], where: str) -> list[str]:
    problems = [f"{where}: unknown key {key}" for key in sorted(set(raw) - _STEP_KEYS)]
    for key in ("id", "prompt", "kind", "label"):
        if not isinstance(raw.get(key), str) or not raw.get(key):
            problems.append(f"{where}: {key} is missing")
    if problems:
        return problems
    if not _ID.match(raw["id"]):
        problems.append(f"{where}: id must be 1-16 lowercase letters, digits or _")
    if raw["id"] in seen:
        problems.append(f"{where}: id {raw['id']!r} is used twice")
    if raw["kind"] not in Kind.__members__.values():
        problems.append(f"{where}: kind must be one of {', '.join(Kind)}")
    elif raw["kind"] == Kind.CHOICE and not raw.get("options"):
        problems.append(f"{where}: a choice needs options")
    for value in raw.get("options", []):
        if not isinstance(value, str) or not _ID.match(value):
            problems.append(
                f"{where}: option {value!r} must be 1-16 lowercase letters, digits or _"
            )
    for key in ("min_length", "max_length"):
        if key in raw and (not isinstance(raw[key], int) or raw[key] < 0):
            problems.append(f"{where}: {key} must be a whole number")
    if raw.get("format", "") not in ("", *FORMATS):
        problems.append(f"{where}: format must be one of {', '.join(FORMATS)}")
    if raw.get("must_be") and not raw.get("refused"):
        problems.append(f"{where}: must_be needs a refused message key")
    when = raw.get("when")
    if when is not None:
        earlier = seen.get(when.get("step", "")) if isinstance(when, dict) else None
        if earlier is None:
            problems.append(f"{where}: when.step must name an earlier step")
        elif not set(when.get("is", [])) <= set(earlier.values()):
            problems.append(f"{where}: when.is lists values step {earlier.id!r} cannot have")
    return problems


def _step(raw: Mapping[str, Any]) -> Step:
    when = raw.get("when")
    return Step(
        id=raw["id"],
        prompt=raw["prompt"],
        kind=Kind(raw["kind"]),
        label=raw["label"],
        options=tuple(raw.get("options", ())),
        skippable=bool(raw.get("skippable", False)),
        min_length=int(raw.get("min_length", 1)),
        max_length=int(raw.get("max_length", 2000)),
        when=(when["step"], tuple(when["is"])) if when else None,
        question=str(raw.get("question", "")),
        single=bool(raw.get("single", False)),
        format=str(raw.get("format", "")),
        must_be=tuple(raw.get("must_be", ())),
        refused=str(raw.get("refused", "")),
    )


def _keys_used(flow: Flow) -> list[tuple[str, str]]:
    """(strings key, the step id or '' that needs it)."""
    used = [(f"{flow.strings}.{name}", "") for name in ("intro", "review", "done", "already_done")]
    if flow.cancellable:
        used.append((f"{flow.strings}.cancelled", ""))
    if flow.exit_buttons:
        used.append((f"{flow.strings}.paused", ""))
    used += [(label, "") for label, _ in flow.exit_buttons]
    used += [(label, "") for _, label in flow.review_actions]
    for step in flow.steps:
        used += [(step.prompt, step.id), (step.label, step.id)]
        if step.refused:
            used.append((step.refused, step.id))
        if step.format:
            used.append((f"flow.invalid_{step.format}", step.id))
        if step.kind is not Kind.SCALE:
            used += [(f"{flow.strings}.options.{v}", step.id) for v in step.values()]
    return used


def _check_review_actions(raw: Any, where: str) -> list[str]:
    """`review_actions = [{ id = "test", label = "broadcast.test" }]`: each well formed."""
    fits = isinstance(raw, list) and all(
        isinstance(item, dict)
        and _ID.match(str(item.get("id", "")))
        and isinstance(item.get("label"), str)
        for item in raw
    )
    if fits:
        return []
    return [
        f"{where}: each review action needs an id (1-16 lowercase letters, digits or _) and a label"
    ]


def load_flow(path: Path, english: Mapping[str, str]) -> Flow:
    text = path.read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ContentError([f"{path}: not valid TOML: {exc}"]) from None
    problems = [f"{path}:1: unknown key {key}" for key in sorted(set(raw) - _FLOW_KEYS)]
    for key in ("id", "code", "strings"):
        if not isinstance(raw.get(key), str) or not _ID.match(raw.get(key, "")):
            problems.append(f"{path}:1: {key} must be 1-16 lowercase letters, digits or _")
    steps: dict[str, Step] = {}
    offset = 0
    for raw_step in raw.get("steps", []):
        line = _line(text, "[[steps]]", offset)
        offset = text.find("[[steps]]", offset) + 1
        found = _check_step(raw_step, steps, f"{path}:{line}")
        problems += found
        if not found:
            steps[raw_step["id"]] = _step(raw_step)
    where = f"{path}:{_line(text, 'review_actions')}"
    problems += _check_review_actions(raw.get("review_actions", []), where)
    if not steps and not problems:
        problems.append(f"{path}:1: a flow needs at least one [[steps]]")
    if problems:
        raise ContentError(problems)
    exits = tuple((str(b["label"]), str(b["data"])) for b in raw.get("exit_buttons", []))
    actions = tuple((a["id"], a["label"]) for a in raw.get("review_actions", []))
    flow = Flow(
        raw["id"],
        raw["code"],
        tuple(steps.values()),
        raw["strings"],
        bool(raw.get("review", True)),
        bool(raw.get("cancellable", False)),
        exits,
        review_actions=actions,
    )
    for key, step_id in _keys_used(flow):
        if key not in english:
            line = _line(text, f'id = "{step_id}"') if step_id else 1
            problems.append(f"{path}:{line}: strings key {key!r} is not in the English strings")
    for step in flow.steps:
        longest = max((len(v) for v in step.values()), default=0)
        if len(f"f:{flow.code}:c:{step.id}:") + longest > MAX_CALLBACK:
            problems.append(f"{path}:{_line(text, step.id)}: button data would exceed 64 bytes")
    if problems:
        raise ContentError(problems)
    return flow


def load_flows(folder: Path, english: Mapping[str, str]) -> dict[str, Flow]:
    problems: list[str] = []
    flows: dict[str, Flow] = {}
    for path in sorted(folder.glob("*.toml")):
        try:
            flow = load_flow(path, english)
        except ContentError as exc:
            problems += exc.lines
            continue
        if flow.id in flows:
            problems.append(f"{path}:1: flow id {flow.id!r} is used twice")
        flows[flow.id] = flow
    if problems:
        raise ContentError(problems)
    return flows
