"""What the terminal sandbox starts with: preset people with roles, and a session that is over.

The past session lets facilitators try /attendance and everyone see the follow-ups
(`[followup]`): Ann, Bea and Cas hold seats in it and Ann is marked as attended, so
her thank-you and the question a week on, and the others' "we missed you", are due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.base.settings import SessionSettings
from store import participants, registrations
from store.db import Store
from store.registrations import Details

__all__ = ["PRESETS", "Preset", "past_session", "seat_past_session"]

PAST_DAYS = 8


@dataclass(frozen=True, slots=True)
class Preset:
    name: str
    user_id: int | None  # None: the next id of the local Telegram (Alex, as ever)
    role: str  # "participant", "organiser", "facilitator"
    last_name: str | None = None
    attended: bool | None = None  # None: no seat in the past session


PRESETS = (
    Preset("Alex", None, "participant", last_name="Jansen"),
    Preset("Olivia", 9000001, "organiser", last_name="(organiser)"),
    Preset("Fenna", 9000002, "facilitator", last_name="(facilitator)"),
    Preset("Ann", 9000011, "participant", attended=True),
    Preset("Bea", 9000012, "participant", attended=False),
    Preset("Cas", 9000013, "participant", attended=False),
)


def past_session(data_dir: Path, now: datetime) -> SessionSettings:
    """A session that started 8 days before the sandbox's first run, at 16:00 Amsterdam.

    The start is kept in the sandbox folder: the follow-ups owed belong to one start
    time, and a session that moved with every run would owe them to nobody."""
    zone = ZoneInfo("Europe/Amsterdam")
    kept = data_dir / "past-session-start"
    if kept.is_file():
        starts = datetime.fromisoformat(kept.read_text(encoding="utf-8").strip())
    else:
        day = (now - timedelta(days=PAST_DAYS)).astimezone(zone)
        starts = day.replace(hour=16, minute=0, second=0, microsecond=0)
        kept.write_text(starts.isoformat(), encoding="utf-8")
    return SessionSettings(
        id="sandbox-past",
        title=f"Past try-out session ({PAST_DAYS} days ago)",
        description="A session that is over, to try attendance and the follow-ups.",
        starts_at=starts,
        timezone=zone.key,
        duration_minutes=90,
        join_url="https://meet.example.org/sandbox-past",
        mooc_url="https://mooc.example.org/the-magic-of-a-learning-culture",
        recording_url="https://video.example.org/sandbox-past",
    )


async def seat_past_session(database: Path, session: SessionSettings) -> None:
    """Seat the preset attendees (once: what was marked since stays as it is)."""
    async with Store(database) as store:
        if await registrations.for_session(store, session.id):
            return
        when = session.starts_at - timedelta(days=3)
        for preset in PRESETS:
            if preset.attended is None or preset.user_id is None:
                continue
            await participants.seen(
                store,
                telegram_id=preset.user_id,
                chat_id=preset.user_id,
                first_name=preset.name,
                last_name=preset.last_name,
                username=None,
                language="en",
                now=when,
            )
            await registrations.register(
                store,
                participant_id=preset.user_id,
                session_id=session.id,
                capacity=session.capacity,
                details=Details(preset.name, f"{preset.name.lower()}@example.org"),
                now=when,
            )
            if preset.attended:
                await registrations.set_attended(
                    store, preset.user_id, session.id, True, session.ends_at
                )
