"""The top of a flow file, checked: its kind, the sessions it is for, its exit buttons and
review actions (content/flows/*.toml; each problem `file:line: what`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flows.callback_data import decode
from flows.model import FlowKind

__all__ = [
    "ID",
    "check_exits",
    "check_kind",
    "check_review_actions",
    "check_sessions",
    "kind_of",
    "strings",
]

ID = re.compile(r"^[a-z0-9_]{1,16}$")


def kind_of(raw: Mapping[str, Any]) -> object:
    """The flow's `kind`; a file from before `kind` existed is known by its id."""
    if "kind" not in raw and raw.get("id") in FlowKind.__members__.values():
        return raw["id"]
    return raw.get("kind")


def check_kind(raw: Mapping[str, Any], where: str) -> list[str]:
    kind = kind_of(raw)
    if kind in FlowKind.__members__.values():
        return []
    got = "missing" if kind is None else f"{kind!r}"
    return [f"{where}: kind must be one of {', '.join(FlowKind)} (got {got})"]


def check_sessions(raw: Mapping[str, Any], where: str) -> list[str]:
    """`sessions = ["s2"]`: the sessions whose participants get this reflection flow."""
    if "sessions" not in raw:
        return []
    if not strings(raw["sessions"]) or not raw["sessions"]:
        return [f'{where}: sessions must be a list of session ids, like ["s2"]']
    if kind_of(raw) != FlowKind.REFLECTION:
        return [f"{where}: sessions is only for a flow of kind reflection"]
    return []


def check_review_actions(raw: Any, where: str) -> list[str]:
    """`review_actions = [{ id = "test", label = "broadcast.test" }]`: each well formed."""
    fits = isinstance(raw, list) and all(
        isinstance(item, dict)
        and ID.match(str(item.get("id", "")))
        and isinstance(item.get("label"), str)
        for item in raw
    )
    if fits:
        return []
    return [
        f"{where}: each review action needs an id (1-16 lowercase letters, digits or _) and a label"
    ]


def strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def check_exits(exits: list[Any], where: str) -> list[str]:
    fits = all(isinstance(b.get("label"), str) and isinstance(b.get("data"), str) for b in exits)
    if not fits:
        return [f"{where}: each [[exit_buttons]] needs a label and data (strings)"]
    return [
        f"{where}: exit button data {b['data']!r} is no button the bot knows "
        '(e.g. "c:r", back to the course, or "menu:sections")'
        for b in exits
        if decode(b["data"]) is None
    ]
