"""The outbox: every message the bot promised to send later, until it is sent.

A row is queued with a de-duplication key (the same promise is never queued
twice), claimed by the dispatcher when due (status 'sending'), and then marked
sent, retried later, failed, cancelled or missed. The rows (`item`), the promises
(`promises`), their delivery (`delivery`) and the reads (`queries`) live apart;
everything is imported from here.
"""

from store.outbox.delivery import (
    claim_due,
    mark,
    mark_sent,
    recover_interrupted,
    retry_later,
    set_payload,
)
from store.outbox.item import REPLY, WAITING_FOR_CHAT, OutboxItem, OutboxStatus
from store.outbox.promises import (
    cancel_keys,
    cancel_pending,
    enqueue,
    enqueue_reply,
    move,
    take_pending,
)
from store.outbox.queries import (
    counts,
    counts_by_kind,
    for_participant,
    keys_of_kinds,
    next_due,
    pending_with_prefix,
    waiting_for_chat,
)

__all__ = [
    "REPLY",
    "WAITING_FOR_CHAT",
    "OutboxItem",
    "OutboxStatus",
    "cancel_keys",
    "cancel_pending",
    "claim_due",
    "counts",
    "counts_by_kind",
    "enqueue",
    "enqueue_reply",
    "for_participant",
    "keys_of_kinds",
    "mark",
    "mark_sent",
    "move",
    "next_due",
    "pending_with_prefix",
    "recover_interrupted",
    "retry_later",
    "set_payload",
    "take_pending",
    "waiting_for_chat",
]
