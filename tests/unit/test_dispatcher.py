"""The outbox dispatcher against a stand-in for Telegram: what each send error does to a row."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.base.clock import ManualClock
from bot.services.dispatcher import Dispatcher
from bot.services.outbox_kinds import Outcome, QuietKind
from bot.services.pacing import Pacer
from bot.services.send_failures import REFUSED_RETRY, TOO_MANY
from bot.services.sender import (
    Blocked,
    MaybeDelivered,
    NoChatYet,
    NotDelivered,
    Pressed,
    Rejected,
    SendError,
    Sent,
    SlowDown,
)
from flows.replies import Out, Reply, encode
from store import outbox, participants
from store.db import Store
from store.outbox import OutboxItem, OutboxStatus
from store.participants import Participant, ParticipantStatus

NOW = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)
PERSON = 4242
NOTE = "note"


@dataclass
class FakeSender:
    """Telegram as the dispatcher sees it: each send takes the next planned error, if any."""

    errors: list[SendError | None] = field(default_factory=list)
    sent: list[tuple[int, str]] = field(default_factory=list)
    tries: int = 0

    async def send(
        self, chat_id: int, message: Out, *, pressed: Pressed | None, patient: bool, paid: bool
    ) -> list[Sent]:
        self.tries += 1
        error = self.errors.pop(0) if self.errors else None
        if error is not None:
            raise error
        assert isinstance(message, Reply)
        self.sent.append((chat_id, message.html))
        return []


class NoteKind(QuietKind):
    """A kind whose row says what its payload holds."""

    async def render(self, item: OutboxItem, participant: Participant, now: datetime) -> Outcome:
        return [Reply(str(item.payload["text"]))]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with Store(tmp_path / "outbox.sqlite3") as opened:
        await participants.seen(
            opened,
            telegram_id=PERSON,
            chat_id=PERSON,
            first_name="Ada",
            last_name=None,
            username=None,
            language="en",
            now=NOW,
        )
        yield opened


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


class Monotonic:
    """The pacer's clock, moved with the bot's: a 429's pause passes without waiting."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock

    def __call__(self) -> float:
        return (self.clock.now() - NOW).total_seconds()


def dispatcher_for(store: Store, clock: ManualClock, sender: FakeSender) -> Dispatcher:
    dispatcher = Dispatcher(sender, store, clock)
    dispatcher.pacer = Pacer(25, Monotonic(clock), overall_per_second=30)
    dispatcher.kinds[NOTE] = NoteKind()
    return dispatcher


async def owe(store: Store, text: str, due_at: datetime = NOW) -> None:
    await outbox.enqueue(
        store,
        dedup_key=f"{NOTE}:{text}",
        participant_id=PERSON,
        kind=NOTE,
        due_at=due_at,
        now=NOW,
        payload={"text": text},
    )


async def rows(store: Store) -> dict[str, OutboxItem]:
    return {
        str(row.payload.get("text", row.dedup_key)): row
        for row in await outbox.for_participant(store, PERSON, replies=True)
    }


async def test_a_429_pauses_and_the_row_goes_once_the_wait_is_over(
    store: Store, clock: ManualClock
) -> None:
    sender = FakeSender([SlowDown(5)])
    dispatcher = dispatcher_for(store, clock, sender)
    await owe(store, "first")
    assert await dispatcher.run_due() == 0
    [row] = (await rows(store)).values()
    assert (row.status, row.last_error, row.attempts) == (OutboxStatus.PENDING, TOO_MANY, 0)
    assert row.due_at == NOW + timedelta(seconds=5)
    assert dispatcher.pacer.core.paused_until == 5  # nobody sends during the wait
    clock.advance(timedelta(seconds=5))
    assert await dispatcher.run_due() == 1
    assert sender.sent == [(PERSON, "first")]
    assert (await rows(store))["first"].status is OutboxStatus.SENT


async def refused_now_owed_later(
    store: Store, clock: ManualClock, error: SendError
) -> tuple[Participant, dict[str, OutboxItem], FakeSender]:
    """A row due now that Telegram refuses with `error`, and one due tomorrow: the person
    and their rows after the run."""
    sender = FakeSender([error])
    await owe(store, "now")
    await owe(store, "later", NOW + timedelta(days=1))
    await dispatcher_for(store, clock, sender).run_due()
    person = await participants.get(store, PERSON)
    assert person is not None
    return person, await rows(store), sender


async def test_blocked_marks_them_blocked_and_cancels_what_they_were_owed(
    store: Store, clock: ManualClock
) -> None:
    blocked = Blocked("Forbidden: bot was blocked by the user")
    person, owed, sender = await refused_now_owed_later(store, clock, blocked)
    assert person.status is ParticipantStatus.BLOCKED
    assert owed["now"].status is OutboxStatus.FAILED
    assert owed["now"].last_error == str(blocked)
    assert owed["later"].status is OutboxStatus.CANCELLED
    assert sender.sent == []


async def test_no_chat_yet_fails_that_row_only(store: Store, clock: ManualClock) -> None:
    no_chat = NoChatYet("Forbidden: bot can't initiate conversation with a user")
    person, owed, _ = await refused_now_owed_later(store, clock, no_chat)
    assert person.status is ParticipantStatus.ACTIVE
    assert owed["now"].status is OutboxStatus.FAILED
    assert owed["later"].status is OutboxStatus.PENDING


async def test_a_refused_send_is_tried_again_within_seconds_a_rejected_one_never(
    store: Store, clock: ManualClock
) -> None:
    sender = FakeSender([NotDelivered("Bad Gateway"), Rejected("Bad Request: chat not found")])
    dispatcher = dispatcher_for(store, clock, sender)
    await owe(store, "refused")
    await dispatcher.run_due()
    row = (await rows(store))["refused"]
    assert (row.status, row.last_error) == (OutboxStatus.PENDING, "Bad Gateway")
    assert row.due_at == NOW + timedelta(seconds=REFUSED_RETRY)
    clock.advance(timedelta(seconds=REFUSED_RETRY + 1))  # (and past the chat's second)
    await dispatcher.run_due()
    row = (await rows(store))["refused"]
    assert (row.status, row.last_error) == (OutboxStatus.FAILED, "Bad Request: chat not found")
    clock.advance(timedelta(hours=1))
    await dispatcher.run_due()
    assert sender.tries == 2
    assert sender.sent == []


async def test_a_reply_that_may_have_arrived_is_not_sent_again(
    store: Store, clock: ManualClock
) -> None:
    sender = FakeSender([MaybeDelivered("Timed out")])
    dispatcher = dispatcher_for(store, clock, sender)
    reply = await outbox.enqueue_reply(
        store,
        dedup_key="reply:1:4242",
        participant_id=PERSON,
        chat_id=PERSON,
        payload={"replies": encode([Reply("your answer")])},
        now=NOW,
    )
    assert not await dispatcher.deliver_reply(reply)
    row = (await rows(store))["reply:1:4242"]
    assert (row.status, row.last_error) == (OutboxStatus.FAILED, "lost: Timed out")
    clock.advance(timedelta(hours=1))
    assert await dispatcher.run_due() == 0
    assert sender.tries == 1


async def test_a_reply_cut_short_by_a_429_sends_only_the_rest_later(
    store: Store, clock: ManualClock
) -> None:
    sender = FakeSender([None, SlowDown(2)])
    dispatcher = dispatcher_for(store, clock, sender)
    replies = [Reply("confirmed"), Reply("your code")]
    reply = await outbox.enqueue_reply(
        store,
        dedup_key="reply:2:4242",
        participant_id=PERSON,
        chat_id=PERSON,
        payload={"replies": encode(replies)},
        now=NOW,
    )
    assert not await dispatcher.deliver_reply(reply)
    row = (await rows(store))["reply:2:4242"]
    assert (row.status, row.payload["delivered"]) == (OutboxStatus.PENDING, 1)
    clock.advance(timedelta(seconds=2))
    assert await dispatcher.run_due() == 1
    assert sender.sent == [(PERSON, "confirmed"), (PERSON, "your code")]
    assert "reply:2:4242" not in await rows(store)  # a delivered reply leaves no row


@dataclass
class HaltingSender(FakeSender):
    """Telegram, while the process loses the lead after the first message it sends."""

    dispatcher: Dispatcher | None = None

    async def send(
        self, chat_id: int, message: Out, *, pressed: Pressed | None, patient: bool, paid: bool
    ) -> list[Sent]:
        done = await super().send(chat_id, message, pressed=pressed, patient=patient, paid=paid)
        assert self.dispatcher is not None
        self.dispatcher.halt()  # the lock's connection went: another process may lead
        return done


async def test_a_halted_leader_sends_nothing_more_and_the_next_one_sends_the_rest(
    store: Store, clock: ManualClock
) -> None:
    sender = HaltingSender()
    halted = dispatcher_for(store, clock, sender)
    sender.dispatcher = halted
    halted._senders = asyncio.Semaphore(1)  # one at a time, so the halt falls between two
    halted.pacer = Pacer(1000)  # three sends spaced by the real clock, a millisecond apart
    chats = {"one": PERSON, "two": PERSON + 1, "three": PERSON + 2}  # a second apart each
    for text, chat in chats.items():
        await participants.seen(
            store,
            telegram_id=chat,
            chat_id=chat,
            first_name=text,
            last_name=None,
            username=None,
            language="en",
            now=NOW,
        )
        await outbox.enqueue(
            store,
            dedup_key=f"{NOTE}:{text}",
            participant_id=chat,
            kind=NOTE,
            due_at=NOW,
            now=NOW,
            payload={"text": text},
        )
    await halted.run_due()
    assert len(sender.sent) == 1  # in flight when it halted: that one only
    # The rest stay claimed ('sending'), never sent: the next leader's to send.
    assert await outbox.counts(store) == {OutboxStatus.SENT: 1, OutboxStatus.SENDING: 2}
    successor = FakeSender()
    taking_over = dispatcher_for(store, clock, successor)
    taking_over.pacer = Pacer(1000)
    await taking_over.start(None)  # rows left claimed are due again
    assert await taking_over.run_due() == 2
    assert sorted(sender.sent + successor.sent) == sorted((c, t) for t, c in chats.items())
