"""Dates as people read them: their language, the session's zone, its offset to the minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from flows.when import long_date_time, short_date_time, span, utc_offset

MOMENT = datetime(2027, 1, 21, 15, 0, tzinfo=UTC)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.mark.parametrize(
    ("zone", "language", "shown"),
    [
        (AMSTERDAM, "en", "Thursday 21 January 2027, 16:00 (Amsterdam time, UTC+1)"),
        (AMSTERDAM, "nl", "donderdag 21 januari 2027, 16:00 (tijd in Amsterdam, UTC+1)"),
        (
            ZoneInfo("Asia/Kolkata"),
            "en",
            "Thursday 21 January 2027, 20:30 (Kolkata time, UTC+5:30)",
        ),
        (
            ZoneInfo("America/St_Johns"),
            "en",
            "Thursday 21 January 2027, 11:30 (St. John’s time, UTC-3:30)",
        ),
    ],
)
def test_a_moment_reads_in_the_language_with_its_zone_and_offset(
    zone: ZoneInfo, language: str, shown: str
) -> None:
    assert long_date_time(MOMENT, zone, language) == shown


def test_summer_time_and_a_span_and_a_button() -> None:
    summer = datetime(2027, 6, 10, 14, 0, tzinfo=UTC)
    assert long_date_time(summer, AMSTERDAM, "en").endswith("16:00 (Amsterdam time, UTC+2)")
    assert span(MOMENT, MOMENT + timedelta(minutes=90), AMSTERDAM, "en") == (
        "Thursday 21 January 2027, 16:00–17:30 (Amsterdam time, UTC+1)"
    )
    assert short_date_time(MOMENT, AMSTERDAM, "nl") == "do 21 jan, 16:00"
    assert utc_offset(timedelta(0)) == "UTC"


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        long_date_time(MOMENT.replace(tzinfo=None), AMSTERDAM, "en")
