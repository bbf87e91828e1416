"""The application's services in one typed container, and the wiring that builds them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.base.clock import Clock
from bot.base.settings import Settings
from bot.services.broadcast import BROADCAST, BroadcastKind, Broadcasts
from bot.services.digest import DIGEST, DigestKind, Digests
from bot.services.dispatcher import Dispatcher
from bot.services.drip import DRIP, Drips
from bot.services.followup import AFTER, FOLLOWUP, AfterKind, FollowupKind, FollowUps
from bot.services.leadership import Leadership
from bot.services.registration import ALERT, LOGIN, PROMOTED, Desk
from bot.services.registration_kinds import AlertKind, LoginKind, PromotedKind
from bot.services.reminders import (
    MOVED,
    NUDGE,
    REMINDER,
    MovedKind,
    NudgeKind,
    ReminderKind,
    Reminders,
)
from flows.content import Content
from store.db import Store

__all__ = ["Services", "build_services"]


@dataclass(frozen=True, slots=True)
class Services:
    """What a turn, a job or a command reaches: each service by its own typed name."""

    settings: Settings
    store: Store
    content: Content
    clock: Clock
    dispatcher: Dispatcher
    desk: Desk
    reminders: Reminders
    followups: FollowUps
    drips: Drips
    digests: Digests
    broadcasts: Broadcasts
    leadership: Leadership


def build_services(
    settings: Settings, store: Store, content: Content, clock: Clock, dispatcher: Dispatcher
) -> Services:
    """Every service, each outbox kind registered with the dispatcher, and the seat hooks
    (a seat taken starts its reminders and follow-ups; a seat lost stops them)."""
    dispatcher.paid_kinds = {BROADCAST} if settings.broadcast.allow_paid_broadcast else set()
    drips = Drips(settings, store, content, dispatcher)
    desk = Desk(settings, store, content, dispatcher)
    reminders = Reminders(desk)
    followups = FollowUps(desk)
    broadcasts = Broadcasts(settings, store, content, dispatcher, clock)
    desk.on_seated.extend((reminders.schedule, followups.schedule))
    desk.on_unseated.extend((reminders.cancel, followups.cancel))
    dispatcher.kinds.update(
        {
            DRIP: drips,
            PROMOTED: PromotedKind(desk),
            LOGIN: LoginKind(desk),
            ALERT: AlertKind(desk),
            REMINDER: ReminderKind(reminders),
            NUDGE: NudgeKind(reminders),
            MOVED: MovedKind(reminders),
            FOLLOWUP: FollowupKind(followups),
            AFTER: AfterKind(followups),
            DIGEST: DigestKind(desk),
            BROADCAST: BroadcastKind(broadcasts),
        }
    )
    return Services(
        settings=settings,
        store=store,
        content=content,
        clock=clock,
        dispatcher=dispatcher,
        desk=desk,
        reminders=reminders,
        followups=followups,
        drips=drips,
        digests=Digests(desk),
        broadcasts=broadcasts,
        leadership=Leadership(store),
    )
