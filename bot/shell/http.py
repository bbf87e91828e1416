"""PTB's requests over aiohttp's client instead of httpx.

The outbox sends up to a thousand messages a second with paid broadcasts; with
httpx the bot spent most of its time in httpcore's connection pool, with
aiohttp's client (C parser, simple keep-alive pool) a send costs a fraction of
that. PTB documents `BaseRequest` as the place for another HTTP library; this
is that adapter: the same timeouts and the same errors (`TimedOut`,
`NetworkError`) as PTB's own `HTTPXRequest`.
"""

from __future__ import annotations

import os

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

__all__ = ["AiohttpRequest", "NotSent", "why"]


class AiohttpRequest(BaseRequest):
    __slots__ = (
        "_connect_timeout",
        "_connections",
        "_media_write_timeout",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        connections: int = 64,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._connections = connections
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout (PTB adds the long-polling time to it for getUpdates)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (its connection pool lives until shutdown)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One request; the status and body, or PTB's TimedOut / NetworkError."""
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        default_write = self._media_write_timeout if files else self._write_timeout
        write = default_write if isinstance(write_timeout, DefaultValue) else write_timeout
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        # aiohttp has no write timeout of its own: the whole request gets read + write at most.
        total = None if read is None or write is None else read + write
        timeout = aiohttp.ClientTimeout(total=total, sock_connect=connect, sock_read=read)
        body: aiohttp.FormData | bytes | None = None
        headers = {}
        if files and request_data:
            body = aiohttp.FormData(request_data.json_parameters, quote_fields=False)
            for name, (filename, content, mimetype) in files.items():
                body.add_field(name, content, filename=filename, content_type=mimetype)
        elif request_data:
            # Encoded here: aiohttp would build a multipart writer for a plain dict first.
            body = request_data.url_encoded_parameters().encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientConnectorError as exc:
            raise NotSent(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc
        except aiohttp.ClientError as exc:  # it may have arrived: the answer was lost
            raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc


class NotSent(NetworkError):
    """No connection could be made: the request certainly did not reach the Bot API."""


def why(exc: BaseException) -> str:
    """A few words for an operator on why a request failed: "Connection refused",
    "Name or service not known", "timed out", or the Bot API's own description."""
    if isinstance(exc, TimedOut):
        return "timed out"
    cause = exc.__cause__
    if isinstance(cause, aiohttp.ClientConnectorError):
        error = cause.os_error
        # asyncio words a refused connection "Connect call failed ('host', port)".
        if error.errno is not None and error.errno > 0:
            return os.strerror(error.errno)
        return error.strerror or str(error) or type(error).__name__
    if isinstance(exc, TelegramError):
        return exc.message
    return str(exc) or type(exc).__name__
