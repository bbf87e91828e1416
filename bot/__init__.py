"""The facilitation bot: its layers are the packages here (see docs/architecture.md)."""

import os

# Opt in to python-telegram-bot's coming behaviour now: durations such as
# RetryAfter.retry_after are timedelta objects (and no deprecation warnings).
os.environ.setdefault("PTB_TIMEDELTA", "1")
