"""The bot's start and stop: the store, the lead, the jobs, the menus, the inbox's backlog.

Every process opens the store and handles the updates it stored before a stop. The
one that leads (always, on SQLite; the holder of the lock, on PostgreSQL:
bot/services/leadership.py) also sends, runs the jobs that must run once, fills the
waitlists and sets the menus; another process starts them when it takes over.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from telegram import BotCommand, BotCommandScopeDefault
from telegram.error import TelegramError

from bot.services.privacy import purge
from bot.shell import roles
from bot.shell.commands import COMMANDS
from bot.shell.context import BotApp, BotContext
from bot.shell.poller import Poller
from bot.shell.sender import JobQueueTimer, TelegramSender
from store import registrations
from store.db import StoreState

__all__ = ["on_start", "on_stop", "running", "stop_handling"]

RETENTION_EVERY = timedelta(days=1)
INBOX_PURGE_EVERY = timedelta(hours=6)
# Digests owed are re-queued this often (a facilitator granted from the command line).
DIGESTS_EVERY = timedelta(minutes=10)
# The leader of several processes takes up the updates a dead one left this often.
ADOPT_EVERY = timedelta(seconds=5)

log = logging.getLogger(__name__)


async def on_start(application: BotApp) -> None:
    """Opens the store, leads if it can (or campaigns to), and takes up the updates left."""
    data = application.bot_data
    services = data.services
    if services.store.state is StoreState.UNOPENED:
        await services.store.open()

    services.leadership.when_lost(services.dispatcher.halt)
    await services.leadership.start(lambda: _lead(application), services.dispatcher.notice)
    # What was stored but not handled before a stop or a crash goes first.
    await data.inbox.resume()


async def _lead(application: BotApp) -> None:
    """The leader's part: the sending, the jobs that run once, the waitlists, the menus."""
    data = application.bot_data
    services = data.services
    timer = JobQueueTimer(application.job_queue) if application.job_queue else None
    await services.dispatcher.start(timer)
    services.broadcasts.start(TelegramSender(application.bot), timer)
    if services.settings.privacy.delete_after_days is not None and application.job_queue:
        application.job_queue.run_repeating(
            _apply_retention, interval=RETENTION_EVERY, first=60, name="retention"
        )
    if application.job_queue:
        application.job_queue.run_repeating(
            _owe_digests, interval=DIGESTS_EVERY, first=DIGESTS_EVERY, name="digests"
        )
        application.job_queue.run_repeating(
            _purge_inbox, interval=INBOX_PURGE_EVERY, first=INBOX_PURGE_EVERY, name="inbox"
        )
        if services.store.shared:
            application.job_queue.run_repeating(
                _adopt_orphans, interval=ADOPT_EVERY, first=ADOPT_EVERY, name="orphans"
            )
    await services.digests.schedule(services.clock.now())
    await services.followups.owe_everyone(services.clock.now())
    for session in services.settings.sessions:
        # The capacity may have grown since the last start: move the waitlist up.
        now = services.clock.now()
        await services.reminders.retime(session, now)
        promoted = await registrations.fill_free_places(
            services.store, session.id, session.capacity, now
        )
        await services.desk.announce_promotions(promoted, now)
    content = services.content
    for language in content.languages:
        strings = content.strings(language)
        commands = [BotCommand(name, strings.plain(f"commands.{name}")) for name in COMMANDS]
        code = None if language == content.default_language else language
        try:
            await application.bot.set_my_commands(
                commands, scope=BotCommandScopeDefault(), language_code=code
            )
        except TelegramError as exc:
            log.warning("the Bot API refused setMyCommands (%s): carrying on without a menu", exc)
    await roles.refresh_menus(application.bot, data)
    await data.inbox.purge()


async def _apply_retention(context: BotContext) -> None:
    services = context.services
    deleted = await purge(services.desk, services.settings, services.clock.now())
    if deleted:
        log.info("retention: deleted %d participant(s) whose session ended long ago", deleted)


async def _purge_inbox(context: BotContext) -> None:
    await context.bot_data.inbox.purge()


async def _adopt_orphans(context: BotContext) -> None:
    await context.bot_data.inbox.adopt()


async def _owe_digests(context: BotContext) -> None:
    await context.services.digests.schedule(context.clock.now())


async def on_stop(application: BotApp) -> None:
    """Gives the lead up (another process takes over) and closes the store."""
    services = application.bot_data.services
    await services.leadership.stop()
    await services.store.close()


@asynccontextmanager
async def running(application: BotApp, *, poll_timeout: float = 10) -> AsyncIterator[BotApp]:
    """Run the bot with long polling inside an existing event loop (sandbox, tests)."""
    await application.initialize()
    try:
        await on_start(application)
        await application.start()
        # Not PTB's Updater: it confirms updates before they are handled (see bot/shell/inbox.py).
        await application.bot.delete_webhook()
        poller = Poller(application.bot, application.bot_data.inbox, poll_timeout)
        # Telegram lets one process poll: with several, the leader does.
        application.bot_data.services.leadership.when_leading(poller.start)
        try:
            yield application
        finally:
            try:
                await poller.stop()
            finally:
                await stop_handling(application)
    finally:
        await application.shutdown()
        await on_stop(application)


async def stop_handling(application: BotApp) -> None:
    """No new update is started; those in hand finish and send their replies; the
    outbox finishes its batch in hand; then the job queue stops."""
    inbox = application.bot_data.inbox
    inbox.stop()
    await inbox.drain()
    application.bot_data.services.dispatcher.stop()
    await application.bot_data.services.dispatcher.settle()
    if application.running:
        await application.stop()
