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

from flows import flow_header as header
from flows.callback_data import encode
from flows.flow_set import check_flow_set
from flows.model import FORMATS, Flow, FlowKind, Kind, Step
from flows.participant_data import FlowAction, FlowButton
from flows.strings import ContentError, read_problem

__all__ = ["load_flows"]

_ID = header.ID
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
    "kind",
    "sessions",
    "code",
    "strings",
    "review",
    "cancellable",
    "exit_buttons",
    "review_actions",
    "steps",
}
_STEP_TYPES: dict[str, type] = {"skippable": bool, "single": bool}
_STEP_TYPES |= {"question": str, "format": str, "refused": str}
_STEP_LISTS = ("options", "must_be")
_FLOW_TYPES: dict[str, type] = {"review": bool, "cancellable": bool}
MAX_CALLBACK = 64


def _key_line(text: str, key: str) -> int:
    """The line of a top-level `key = …` (it comes before the first table), else 1."""
    found = re.search(rf"^{key}\s*=", text.split("[[", 1)[0], re.M)
    return text.count("\n", 0, found.start()) + 1 if found else 1


def _line(text: str, needle: str, start: int = 0) -> int:
    index = text.find(needle, start)
    return text.count("\n", 0, index) + 1 if index >= 0 else 1


def _wrong_types(raw: Mapping[str, Any], types: Mapping[str, type], where: str) -> list[str]:
    """Keys of the wrong TOML type (`skippable = "no"` would otherwise count as true)."""
    words = {bool: "true or false", str: "a string"}
    return [
        f"{where}: {key} must be {words[kind]}"
        for key, kind in types.items()
        if key in raw and not isinstance(raw[key], kind)
    ]


def _check_step(raw: Mapping[str, Any], seen: dict[str, Step], where: str) -> list[str]:
    problems = [f"{where}: unknown key {key}" for key in sorted(set(raw) - _STEP_KEYS)]
    for key in ("id", "prompt", "kind", "label"):
        if not isinstance(raw.get(key), str) or not raw.get(key):
            problems.append(f"{where}: {key} is missing")
    problems += _wrong_types(raw, _STEP_TYPES, where)
    problems += [
        f'{where}: {key} must be a list of strings, like ["yes", "no"]'
        for key in _STEP_LISTS
        if key in raw and not header.strings(raw[key])
    ]
    when = raw.get("when")
    well_formed = isinstance(when, dict) and isinstance(when.get("step"), str)
    if when is not None and not (well_formed and header.strings(when.get("is"))):
        problems.append(f'{where}: when must be like {{ step = "q1", is = ["no"] }}')
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


def _tables(raw: Mapping[str, Any], key: str, where: str) -> tuple[list[Any], list[str]]:
    """`[[key]]` tables of the flow, or a problem when `key` is something else."""
    value = raw.get(key, [])
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return value, []
    return [], [f"{where}: {key} must be [[{key}]] tables"]


def load_flow(path: Path, english: Mapping[str, str]) -> Flow:
    text = ""
    try:
        text = path.read_bytes().decode("utf-8")
        raw = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
        raise ContentError([read_problem(path, exc, text)]) from None
    problems = [f"{path}:1: unknown key {key}" for key in sorted(set(raw) - _FLOW_KEYS)]
    for key in ("id", "code", "strings"):
        if not isinstance(raw.get(key), str) or not _ID.match(raw.get(key, "")):
            problems.append(f"{path}:1: {key} must be 1-16 lowercase letters, digits or _")
    problems += _wrong_types(raw, _FLOW_TYPES, f"{path}:1")
    problems += header.check_kind(raw, f"{path}:{_key_line(text, 'kind')}")
    problems += header.check_sessions(raw, f"{path}:{_key_line(text, 'sessions')}")
    raw_steps, wrong = _tables(raw, "steps", f"{path}:{_line(text, 'steps')}")
    exits, wrong_exits = _tables(raw, "exit_buttons", f"{path}:{_line(text, 'exit_buttons')}")
    problems += (
        wrong + wrong_exits + header.check_exits(exits, f"{path}:{_line(text, 'exit_buttons')}")
    )
    steps: dict[str, Step] = {}
    offset = 0
    for raw_step in raw_steps:
        line = _line(text, "[[steps]]", offset)
        offset = text.find("[[steps]]", offset) + 1
        found = _check_step(raw_step, steps, f"{path}:{line}")
        problems += found
        if not found:
            steps[raw_step["id"]] = _step(raw_step)
    where = f"{path}:{_line(text, 'review_actions')}"
    problems += header.check_review_actions(raw.get("review_actions", []), where)
    if not steps and not problems:
        problems.append(f"{path}:1: a flow needs at least one [[steps]]")
    if problems:
        raise ContentError(problems)
    exit_buttons = tuple((str(b["label"]), str(b["data"])) for b in exits)
    actions = tuple((a["id"], a["label"]) for a in raw.get("review_actions", []))
    flow = Flow(
        raw["id"],
        raw["code"],
        tuple(steps.values()),
        raw["strings"],
        bool(raw.get("review", True)),
        bool(raw.get("cancellable", False)),
        exit_buttons,
        review_actions=actions,
        kind=FlowKind(str(header.kind_of(raw))),
        sessions=tuple(raw.get("sessions", ())),
    )
    for key, step_id in _keys_used(flow):
        if key not in english:
            line = _line(text, f'id = "{step_id}"') if step_id else 1
            problems.append(f"{path}:{line}: strings key {key!r} is not in the English strings")
    for step in flow.steps:
        values = (*step.values(), "")  # "": the step's Back, Skip and Done
        data = [encode(FlowButton(flow.code, FlowAction.CHOOSE, step.id, v)) for v in values]
        if any(len(d.encode()) > MAX_CALLBACK for d in data):
            problems.append(f"{path}:{_line(text, step.id)}: button data would exceed 64 bytes")
    if problems:
        raise ContentError(problems)
    return flow


def load_flows(folder: Path, english: Mapping[str, str]) -> dict[str, Flow]:
    problems: list[str] = []
    flows: dict[str, Flow] = {}
    files: dict[Path, Flow] = {}
    for path in sorted(folder.glob("*.toml")):
        try:
            flow = load_flow(path, english)
        except ContentError as exc:
            problems += exc.lines
            continue
        if flow.id in flows:
            problems.append(f"{path}:1: flow id {flow.id!r} is used twice")
        flows[flow.id] = files[path] = flow
    if not problems:
        problems = check_flow_set(files)
    if problems:
        raise ContentError(problems)
    return flows
