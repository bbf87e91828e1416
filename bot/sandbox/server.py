"""A local Bot API server on 127.0.0.1: the bot talks to it over HTTP as to Telegram.

Routes: `/bot<token>/<method>` (the Bot API, JSON / form / multipart bodies,
`{"ok": …}` envelopes and Telegram's error shapes), `/file/bot<token>/<path>`
(downloads) and `/sim/…` (the user side, see users.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

import aiohttp
from aiohttp import web

from bot.sandbox.calls import Context
from bot.sandbox.limits import Faults, Limits, RateGate
from bot.sandbox.methods import METHODS
from bot.sandbox.params import ApiError, Params
from bot.sandbox.records import SimCall
from bot.sandbox.users import add_sim_routes
from bot.sandbox.world import World

__all__ = ["BotApiServer"]

log = logging.getLogger(__name__)
MAX_UPLOAD = 50 * 1024 * 1024
MAX_CONNECTIONS = 40  # setWebhook's default: updates posted at once


class BotApiServer:
    """The local Telegram: start() it, point the bot at `url`, stop() it."""

    def __init__(
        self,
        token: str,
        *,
        world: World | None = None,
        limits: Limits | None = None,
        faults: Faults | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.world = world or World()
        self.limits = limits or Limits()
        self.faults = faults or Faults()
        self.gate = RateGate(self.limits)
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self.app = web.Application(client_max_size=MAX_UPLOAD)
        self.app.router.add_route("*", "/bot{token}/{method}", self._bot_method)
        self.app.router.add_get("/file/bot{token}/{file_id}", self._file)
        add_sim_routes(self.app, self)

    @property
    def url(self) -> str:
        """Root of the API, as MOOC_BOT_API_URL takes it."""
        return f"http://{self.host}:{self.port}"

    async def start(self) -> str:
        self._runner = web.AppRunner(self.app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self._webhook_task = asyncio.create_task(self._deliver_webhooks())
        return self.url

    async def stop(self) -> None:
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- the Bot API -----------------------------------------------------------

    async def _bot_method(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        if self.faults.dropping and request.transport is not None:
            self.faults.dropped += 1
            self.world.touch()
            request.transport.abort()  # the connection is cut: no answer at all
            return web.Response(status=500)
        if request.match_info["token"] != self.token:
            return _answer(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        handler = METHODS.get(name.lower())
        if handler is None:
            return _answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        try:
            params = Params(await _read_params(request))
        except ApiError as exc:
            return self._error(name, None, exc)
        chat_id = _chat_id(params)
        self.world.started.append(SimCall(name, 0, chat_id))  # before any latency
        self.world.touch()
        if self.faults.latency:
            await asyncio.sleep(self.faults.latency)
        if self.faults.should_fail(name):
            return self._error(name, chat_id, ApiError(500, "Internal Server Error"))
        if self.faults.should_throttle(name):
            wait = self.faults.throttle_retry_after
            busy = ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
            return self._error(name, chat_id, busy)
        try:
            result = await handler(Context(self.world, self.gate), params)
        except ApiError as exc:
            return self._error(name, chat_id, exc)
        self.world.log_call(name, 200, chat_id)
        if self.faults.lose_answers > 0 and name.lower() != "getupdates":
            self.faults.lose_answers -= 1
            if request.transport is not None:
                request.transport.abort()  # done, but the bot never hears so
        return _answer(200, {"ok": True, "result": result})

    def _error(self, name: str, chat_id: int | None, exc: ApiError) -> web.Response:
        self.world.log_call(name, exc.status, chat_id, exc.description)
        body: dict[str, Any] = {
            "ok": False,
            "error_code": exc.status,
            "description": exc.description,
        }
        if exc.retry_after is not None:
            body["parameters"] = {"retry_after": exc.retry_after}
        return _answer(exc.status, body)

    async def _file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _answer(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        file = self.world.files.get(request.match_info["file_id"])
        if file is None:
            return _answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        return web.Response(body=file.data, content_type=file.mime_type)

    # --- webhook delivery --------------------------------------------------------

    async def _deliver_webhooks(self) -> None:
        """While a webhook is set, POST the pending updates to it, as Telegram does: up
        to setWebhook's `max_connections` at once (40 unless set), one at a time per
        chat, so that each chat's updates arrive in order (bot/sandbox/methods.py).

        An update the webhook took is forgotten, unless a fault (`duplicate_webhooks`,
        `duplicate_rate`) has it posted once more, as Telegram does when it never
        heard the answer; each post taken is logged in `world.webhook_posts`.
        """
        posting: dict[int, asyncio.Task[None]] = {}  # by chat: the update on its way
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            try:
                while True:
                    url = self.world.webhook.get("url")
                    allowed = self.world.webhook.get("max_connections") or MAX_CONNECTIONS
                    for update in list(self.world.updates):
                        queue = _queue_of(update)
                        if not url or len(posting) >= allowed:
                            break
                        if queue not in posting:
                            posting[queue] = asyncio.create_task(
                                self._post(session, str(url), update, queue, posting)
                            )
                    await self.world.next_change()
            finally:
                for task in posting.values():
                    task.cancel()
                await asyncio.gather(*posting.values(), return_exceptions=True)

    async def _post(
        self,
        session: aiohttp.ClientSession,
        url: str,
        update: dict[str, Any],
        queue: int,
        posting: dict[int, asyncio.Task[None]],
    ) -> None:
        """One update posted; forgotten once the webhook took it, else tried again."""
        headers = {}
        if self.world.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.world.webhook["secret_token"]
        try:
            try:
                async with session.post(url, json=update, headers=headers) as response:
                    delivered = response.status < 300
            except aiohttp.ClientError as exc:
                log.debug("webhook delivery to %s failed: %s", url, exc)
                delivered = False
            if delivered:
                self.world.webhook_posts.append(update["update_id"])
                at = next((i for i, u in enumerate(self.world.updates) if u is update), None)
                if at is not None:  # not dropped meanwhile (drop_pending_updates)
                    self.world.updates.pop(at)
                    if self.faults.should_duplicate():
                        self.world.updates.insert(at, dict(update))  # the same update, again
            else:
                # Telegram retries later; so do we, without spinning.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.world.next_change(), 1.0)
        finally:
            del posting[queue]
            self.world.touch()


def _queue_of(update: dict[str, Any]) -> int:
    """The chat an update belongs to (its sender's, without one): Telegram posts one
    update of a chat at a time."""
    for key, value in update.items():
        if key != "update_id" and isinstance(value, dict):
            message = value.get("message") if isinstance(value.get("message"), dict) else value
            chat = message.get("chat") if isinstance(message, dict) else None
            if isinstance(chat, dict) and isinstance(chat.get("id"), int):
                return int(chat["id"])
            sender = value.get("from")
            if isinstance(sender, dict) and isinstance(sender.get("id"), int):
                return int(sender["id"])
    return 0


def _answer(status: int, body: dict[str, Any]) -> web.Response:
    return web.Response(
        status=status, text=json.dumps(body, ensure_ascii=False), content_type="application/json"
    )


async def _read_params(request: web.Request) -> dict[str, Any]:
    values: dict[str, Any] = dict(request.query)
    if request.method != "POST" or not request.can_read_body:
        return values
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except json.JSONDecodeError:
            raise ApiError(400, "Bad Request: can't parse JSON object") from None
        if not isinstance(body, dict):
            raise ApiError(400, "Bad Request: parameters must be a JSON object")
        values.update(body)
    else:
        values.update(await request.post())
    return values


def _chat_id(params: Params) -> int | None:
    try:
        return params.integer("chat_id")
    except ApiError:
        return None
