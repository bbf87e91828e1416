"""The token never reaches a log line, not even inside a traceback."""

from __future__ import annotations

import logging

from bot.shell.logs import RedactSecrets


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


def test_fields_of_an_event_are_redacted_and_quoted() -> None:
    from bot.shell.logs import LogfmtFormatter

    secret = "123:ABCDEF"
    record = logging.LogRecord("bot.shell.serve", logging.INFO, __file__, 1, "started", None, None)
    record.fields = {"url": f"https://bot.example.org/{secret}", "note": 'a "b" c'}
    RedactSecrets([secret]).filter(record)
    line = LogfmtFormatter().format(record)
    assert secret not in line
    assert "url=https://bot.example.org/***" in line
    assert 'note="a \\"b\\" c"' in line
