"""A small round-robin reverse proxy for tests: several bot processes behind one webhook URL.

Each request goes to the next upstream in turn; one that refuses the connection (it is
down) is skipped for the next, as nginx's `proxy_next_upstream error` does. A request
already handed to an upstream is not sent to another (a POST is not idempotent): if
that upstream fails before it answers, the caller gets a 502, and Telegram posts the
update again later.
"""

from __future__ import annotations

from collections import Counter
from types import TracebackType

import aiohttp
from aiohttp import web

__all__ = ["RoundRobinProxy"]

FORWARDED = ("Content-Type", "X-Telegram-Bot-Api-Secret-Token")


class RoundRobinProxy:
    """`async with RoundRobinProxy(["http://127.0.0.1:8001", …]) as proxy`: `proxy.url`."""

    def __init__(self, upstreams: list[str], host: str = "127.0.0.1") -> None:
        self.upstreams = upstreams
        self.host = host
        self.port = 0
        self.answered: Counter[str] = Counter()  # requests each upstream answered
        self.refused: Counter[str] = Counter()  # connections each upstream refused
        self.failed = 0  # requests answered 502: taken by an upstream that then failed
        self._next = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def __aenter__(self) -> RoundRobinProxy:
        self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        app = web.Application(client_max_size=2 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        headers = {name: request.headers[name] for name in FORWARDED if name in request.headers}
        for _ in range(len(self.upstreams)):
            upstream = self.upstreams[self._next % len(self.upstreams)]
            self._next += 1
            try:
                async with self._session.request(
                    request.method, upstream + request.path_qs, data=body, headers=headers
                ) as answer:
                    text = await answer.read()
                    self.answered[upstream] += 1
                    return web.Response(
                        status=answer.status, body=text, content_type=answer.content_type
                    )
            except aiohttp.ClientConnectorError:
                self.refused[upstream] += 1  # down: the next one gets the request
            except (aiohttp.ClientError, TimeoutError):
                self.failed += 1
                return web.Response(status=502, text="upstream failed")
        return web.Response(status=502, text="no upstream")
