"""What a webhook body must be to count as an update (bot.shell.webhook.read_update); the
webhook itself answers each refusal with a 400 (tests/e2e/test_inbox.py)."""

from __future__ import annotations

import json

import pytest

from bot.shell.update_json import problem, scrubbed
from bot.shell.webhook import MAX_UPDATE_BYTES, MAX_UPDATE_DEPTH, BadUpdate, read_update


def nested(depth: int) -> bytes:
    """An update whose extra field makes the whole `depth` levels deep."""
    inner = depth - 1
    return b'{"update_id": 7, "x": ' + b"[" * inner + b"]" * inner + b"}"


def test_a_telegram_update_is_read() -> None:
    update = {
        "update_id": 7,
        "callback_query": {
            "id": "1",
            "data": "c:next",
            "from": {"id": 5, "is_bot": False, "first_name": "Ann"},
            "message": {"reply_markup": {"inline_keyboard": [[{"text": "Go", "url": "x"}]]}},
        },
    }
    assert read_update(json.dumps(update).encode()) == update


def test_the_deepest_update_allowed_is_read_one_deeper_is_not() -> None:
    assert read_update(nested(MAX_UPDATE_DEPTH))["update_id"] == 7
    with pytest.raises(BadUpdate, match="nested too deep"):
        read_update(nested(MAX_UPDATE_DEPTH + 1))


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested too deep"),  # json itself would recurse
        (b'{"update_id": 1, "x": ' + b'{"a": ' * 10_000 + b"{}" + b"}" * 10_001, "too deep"),
        (nested(500), "nested too deep"),  # json copes; PTB and the store might not
        (b"{'update_id': 1}", "not JSON"),
        (b'{"update_id": 1, "x": "\xff"}', "not JSON"),
        (b"", "not JSON"),
        (b"null", "not a JSON object"),
        (b'[{"update_id": 1}]', "not a JSON object"),
        (b'{"message": {}}', "no integer update_id"),
        (b'{"update_id": "1"}', "no integer update_id"),
        (b'{"update_id": 1.5}', "no integer update_id"),
        (b'{"update_id": true}', "no integer update_id"),
        (b'{"update_id": 1, "x": "' + b"y" * MAX_UPDATE_BYTES + b'"}', "too large"),
        (b'{"update_id": 9223372036854775808}', "integer out of range"),  # 2**63
        (b'{"update_id": -9223372036854775809}', "integer out of range"),
        (b'{"update_id": 1, "message": {"from": {"id": 9223372036854775808}}}', "out of range"),
        (b'{"update_id": 1, "x": [1, 2, 99999999999999999999999]}', "integer out of range"),
        (b'{"update_id": 1, "message": {"text": "\\ud800"}}', "not UTF-8"),  # a lone surrogate
        (b'{"update_id": 1, "x": ["ok", "\\udfff"]}', "not UTF-8"),
        (b'{"update_id": 1, "\\ud83d": 1}', "not UTF-8"),  # in a key too
        (b'{"update_id": 1, "message": {"text": "a\\u0000b"}}', "a NUL character"),  # PG's TEXT
        (b'{"update_id": 1, "\\u0000": 1}', "a NUL character"),
    ],
)
def test_anything_else_is_refused_with_its_reason(body: bytes, reason: str) -> None:
    with pytest.raises(BadUpdate, match=reason):
        read_update(body)


def test_the_edges_of_64_bits_and_a_whole_surrogate_pair_are_read() -> None:
    body = b'{"update_id": 9223372036854775807, "a": -9223372036854775808, "b": "\\ud83c\\udf31"}'
    assert read_update(body)["b"] == "🌱"


def test_the_parked_copy_of_an_unstorable_update_is_storable() -> None:
    update = {"update_id": 1, "message": {"text": "a\x00b\ud800", "x": 2**64}}
    copy = scrubbed(update)
    assert copy == {"update_id": 1, "message": {"text": "ab\\ud800", "x": str(2**64)}}
    assert problem(copy) is None
