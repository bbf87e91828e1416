"""The token never reaches a log line, not even inside a traceback."""

from __future__ import annotations

import logging

from bot.logs import RedactSecrets


def test_secret_is_redacted_in_messages_and_tracebacks() -> None:
    secret = "123:ABCDEF"
    record = logging.LogRecord(
        "httpx", logging.INFO, __file__, 1, "POST https://api/bot%s/getMe", (secret,), None
    )
    RedactSecrets([secret]).filter(record)
    assert record.getMessage() == "POST https://api/bot***/getMe"
    try:
        raise RuntimeError(f"failed calling bot{secret}")
    except RuntimeError:
        import sys

        failing = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", None, sys.exc_info())
    RedactSecrets([secret]).filter(failing)
    assert failing.exc_text is not None
    assert secret not in failing.exc_text
    assert "bot***" in failing.exc_text
