"""Logging: one line per event, key=value pairs (logfmt), never a secret.

    time=2026-11-29T09:00:01.234Z level=INFO logger=bot.handled event=handled
    update=4711 user=123456 handler=flows.text ms=4.2

`event(log, "handled", update=…, user=…)` writes such a line; any other log call
becomes `msg="…"`. Message text is never logged at INFO, and the token (and the
webhook secret) are replaced by *** wherever they would appear.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter

__all__ = ["HandledRateLimit", "LogfmtFormatter", "RedactSecrets", "event", "setup_logging"]


class RedactSecrets(logging.Filter):
    """Replaces every secret in a record's message, traceback and fields with '***'."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        redacted = message
        for secret in self.secrets:
            redacted = redacted.replace(secret, "***")
            if record.exc_text:
                record.exc_text = record.exc_text.replace(secret, "***")
        if redacted != message:
            record.msg, record.args = redacted, None
        fields: dict[str, Any] | None = getattr(record, "fields", None)
        if fields:
            record.fields = {key: self._clean(value) for key, value in fields.items()}
        return True

    def _clean(self, value: object) -> object:
        text = str(value)
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return value if text == str(value) else text


class HandledRateLimit(logging.Filter):
    """PTB's rate limiter logs a 429 it passes on as an ERROR with a traceback; we handle
    every 429 (a reply waits it out, the outbox reschedules), so it becomes one INFO line."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, RetryAfter):
            return True
        record.levelno, record.levelname = logging.INFO, "INFO"
        wait = error.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else wait
        record.msg = "429 Too Many Requests, retry after %s s (handled)"
        record.args = (seconds,)
        record.exc_info, record.exc_text = None, None
        return logging.getLogger(record.name).isEnabledFor(logging.INFO)


def event(logger: logging.Logger, name: str, level: int = logging.INFO, **fields: Any) -> None:
    """One structured line: event=NAME and the fields, in the order given."""
    if logger.isEnabledFor(level):
        logger.log(level, name, extra={"fields": fields})


def _value(value: object) -> str:
    text = str(value)
    if text and not any(c in text for c in ' "=\\\n\t'):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class LogfmtFormatter(logging.Formatter):
    """time=… level=… logger=… then event=… and its fields, or msg="…"."""

    def format(self, record: logging.LogRecord) -> str:
        moment = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        parts = [
            f"time={moment}.{int(record.msecs):03d}Z",
            f"level={record.levelname}",
            f"logger={record.name}",
        ]
        fields: dict[str, Any] | None = getattr(record, "fields", None)
        if fields is not None:
            parts.append(f"event={_value(record.getMessage())}")
            parts += [f"{key}={_value(value)}" for key, value in fields.items()]
        else:
            parts.append(f"msg={_value(record.getMessage())}")
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            parts.append(f"error={_value(record.exc_text)}")
        return " ".join(parts)


def setup_logging(
    level: str, secrets: Iterable[str] = (), handler: logging.Handler | None = None
) -> None:
    """Log to `handler` (default: stderr) as logfmt, secrets redacted."""
    handler = handler or logging.StreamHandler(sys.stderr)
    handler.setFormatter(LogfmtFormatter())
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL, and the URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # The limiter runs with max_retries=0 on purpose: a reply waits out a 429 itself and
    # the outbox reschedules its row. PTB would log each such 429 as an ERROR.
    limiter = logging.getLogger("telegram.ext.AIORateLimiter")
    limiter.filters[:] = [HandledRateLimit()]
