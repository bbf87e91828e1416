"""The callback data of every button the bot makes: a typed value per kind, encoded and decoded.

The strings on the wire are those the bot has always sent (buttons in people's chats
keep working). `decode` is strict: anything a client forged or an odd old shape is
None, never an exception; and each value has one spelling, so `encode(decode(s)) == s`.
The values, each with its `Layout` (flows/wire.py): flows/participant_data.py and
flows/staff_data.py. A handler decodes and matches on the type; whoever makes a button
encodes one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import get_args

from flows.participant_data import ParticipantData
from flows.staff_data import StaffData
from flows.wire import Layout

__all__ = ["MAX_BYTES", "CallbackData", "decode", "encode"]

MAX_BYTES = 64  # Telegram's limit on a button's callback data, in UTF-8 bytes

CallbackData = ParticipantData | StaffData

Kinds = dict[str, list[tuple[Layout, Callable[..., CallbackData]]]]


def _by_prefix() -> Kinds:
    """Each prefix's kinds: "reg" is PickSession, AskCancel, CancelSeat and KeepSeat."""
    kinds: Kinds = defaultdict(list)
    for kind in get_args(CallbackData):
        kinds[kind.WIRE.prefix].append((kind.WIRE, kind))
    return dict(kinds)


_KINDS = _by_prefix()


def encode(data: CallbackData) -> str:
    return data.WIRE.write(data)


def decode(data: str) -> CallbackData | None:
    """The button `data` stands for; None for anything no button of the bot carries."""
    for layout, kind in _KINDS.get(data.partition(":")[0], []):
        fields = layout.read(data)
        if fields is not None:
            return kind(**fields)
    return None
