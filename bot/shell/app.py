"""The one wiring point: `build_application` puts the services, the inbox and the
handlers (bot/shell/routes.py) together on PTB's Application."""

from __future__ import annotations

from telegram.ext import AIORateLimiter, ApplicationBuilder, ContextTypes

from bot.base.clock import Clock, SystemClock
from bot.base.settings import Settings
from bot.services.composer import with_session_audiences
from bot.services.container import build_services
from bot.services.dispatcher import Dispatcher
from bot.shell.context import BotApp, BotContext, BotData
from bot.shell.http import AiohttpRequest
from bot.shell.inbox import Inbox
from bot.shell.lifecycle import on_start, on_stop
from bot.shell.routes import add_handlers
from bot.shell.sender import TelegramSender
from flows.content import Content, load_content
from store.db import Store

__all__ = ["build_application"]


def build_application(
    settings: Settings,
    store: Store,
    *,
    content: Content | None = None,
    clock: Clock | None = None,
    rate_limited: bool = True,
) -> BotApp:
    """Build the bot for Telegram, a self-hosted Bot API server or the sandbox alike.

    `rate_limited=False` drops the 30-messages-a-second safety net; only for
    benchmarks that measure the bot itself rather than Telegram's limit.
    """
    if settings.token is None:
        raise ValueError("build_application needs a token (MOOC_BOT_TOKEN)")
    api = settings.api_url.rstrip("/")
    context_types = ContextTypes(context=BotContext, bot_data=BotData)
    builder = (
        ApplicationBuilder()
        .token(settings.token.get_secret_value())
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .context_types(context_types)
        .post_init(on_start)
        .post_shutdown(on_stop)
        .request(AiohttpRequest(connections=64))
        .get_updates_request(AiohttpRequest(connections=1))
    )
    application: BotApp
    if rate_limited:
        # max_retries=0: the first 429 reaches us; the outbox dispatcher owns pacing.
        # With paid broadcasts the overall cap follows the paid rate; the Pacer paces the outbox.
        overall = max(30.0, settings.broadcast.rate)
        limiter = AIORateLimiter(overall_max_rate=overall, max_retries=0)
        application = builder.rate_limiter(limiter).build()
    else:
        application = builder.build()
    loaded = content or load_content(
        settings.course.languages, settings.course.default_language, root=settings.content_dir
    )
    clock = clock or SystemClock()
    dispatcher = Dispatcher(TelegramSender(application.bot), store, clock, settings.broadcast.rate)
    content = with_session_audiences(loaded, settings)
    data = application.bot_data
    data.services = build_services(settings, store, content, clock, dispatcher)
    data.inbox = Inbox(data.services, application.bot, application.process_update)
    add_handlers(application)
    return application
