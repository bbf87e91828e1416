"""Which message of a dialogue carries its buttons: noted with the delivery records."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from store import outbox, participants, prompts
from store.db import Store
from store.prompts import Shown

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
ANN = 5550001


async def test_the_newest_prompt_of_each_flow_is_noted_and_dropped_once_cleared(
    where: Path | str,
) -> None:
    async with Store(where) as store:
        await participants.seen(
            store,
            telegram_id=ANN,
            chat_id=ANN,
            first_name="Ann",
            last_name=None,
            username=None,
            language="en",
            now=NOW,
        )
        await outbox.mark_sent(store, [], ())  # nothing delivered, nothing noted
        await prompts.note(store, [Shown(ANN, 10, "rf"), Shown(ANN, 11, "rg")], NOW)
        await prompts.note(store, [Shown(ANN, 10), Shown(ANN, 12, "rf")], NOW)
        assert await prompts.last(store, ANN, "rf") == 12
        assert await prompts.last(store, ANN, "rg") == 11
        await prompts.note(store, [Shown(ANN, 12)], NOW)  # its buttons went
        assert await prompts.last(store, ANN, "rf") is None
        # Someone forgotten meanwhile (the answer to /forget) is not written back.
        await prompts.note(store, [Shown(ANN + 1, 13, "rf")], NOW)
        assert await prompts.last(store, ANN + 1, "rf") is None
