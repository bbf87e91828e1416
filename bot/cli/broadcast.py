"""`mooc-bot broadcast`: the same broadcast as /broadcast, from the command line.

The rows go into the outbox of the database; the running bot sends them. The
command follows the progress with a progress bar and prints the same report.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from tqdm import tqdm

from bot.base.clock import SystemClock
from bot.base.settings import Settings
from bot.base.telegram_html import HtmlError, parse_html
from bot.cli.command import Command, Invocation
from bot.services import audiences
from bot.services.broadcast import parse_when, queue_broadcast, staff_ids
from flows.content import Content
from store import broadcasts as store
from store.db import Store

__all__ = ["BROADCAST", "run_broadcast"]

STALL = 30  # seconds without progress before suggesting that the bot is not running


def _arguments(parser: argparse.ArgumentParser) -> None:
    # The fixed audiences and the one per session; those by progress are listed on a typo.
    session = next(a.name for a in audiences.AUDIENCES if a.takes is audiences.Takes.SESSION)
    named = f"{', '.join(audiences.fixed_names())} or {session}<id>"
    parser.add_argument("--audience", required=True, help=named)
    parser.add_argument("--text-file", type=Path, required=True, help="the message, Telegram HTML")
    parser.add_argument("--text-file-nl", type=Path, help="the Dutch version, if any")
    parser.add_argument("--at", help="'tomorrow 09:00', 'today 17:00' or '2027-01-20 09:00'")
    parser.add_argument("--button", help="one link button: 'Label | https://…'")
    parser.add_argument(
        "--dry-run", action="store_true", help="count the recipients, queue nothing"
    )
    parser.add_argument("--no-wait", action="store_true", help="queue it and return at once")


def _run(call: Invocation) -> int:
    args = call.args
    return asyncio.run(
        run_broadcast(
            call.settings,
            call.content,
            audience=args.audience,
            text_file=args.text_file,
            text_file_nl=args.text_file_nl,
            at=args.at,
            button=args.button,
            dry_run=args.dry_run,
            wait=not args.no_wait,
        )
    )


async def run_broadcast(
    settings: Settings,
    content: Content,
    *,
    audience: str,
    text_file: Path,
    at: str | None,
    text_file_nl: Path | None = None,
    button: str | None,
    dry_run: bool,
    wait: bool,
) -> int:
    known = list(audiences.offered(content, settings))
    if audience not in known:
        print(f"--audience {audience!r}: choose one of {', '.join(known)}", file=sys.stderr)
        return 2
    texts: dict[str, str] = {}
    for language, path in (("", text_file), ("nl", text_file_nl)):
        if path is None:
            continue
        try:
            texts[language] = (await asyncio.to_thread(path.read_text, encoding="utf-8")).strip()
            parse_html(texts[language])
        except OSError as exc:
            print(f"{path}: cannot be read: {exc.strerror}", file=sys.stderr)
            return 2
        except HtmlError as exc:
            print(f"{path}: not valid Telegram HTML: {exc}", file=sys.stderr)
            return 2
    html = texts.pop("")
    now = SystemClock().now()
    due = now
    if at:
        when = parse_when(at, now, settings)
        if when is None:
            print(
                f"--at {at!r}: use 'today 17:00', 'tomorrow 09:00' or '2027-01-20 09:00' (ahead)",
                file=sys.stderr,
            )
            return 2
        due = when
    link: tuple[str, str] | None = None
    if button:
        label, _, url = button.partition("|")
        if not url.strip().startswith(("https://", "http://")):
            print("--button: write it as 'Label | https://…'", file=sys.stderr)
            return 2
        link = (label.strip(), url.strip())
    async with Store(settings.database_url) as db:
        recipients = await audiences.recipients(
            db, audience, staff=staff_ids(settings), reflections=content.reflection_ids
        )
        if dry_run:
            print(f"dry run: {len(recipients)} recipient(s) in '{audience}'; nothing was queued")
            return 0
        broadcast = await queue_broadcast(
            db,
            created_by=None,
            audience=audience,
            html=html,
            versions=texts,
            button=link,
            due_at=due,
            now=now,
            staff=staff_ids(settings),
            reflections=content.reflection_ids,
        )
        print(f"broadcast #{broadcast.id}: {broadcast.total} recipient(s), due {due.isoformat()}")
        if not wait or due > now:
            print("the running bot sends it; `mooc-bot outbox` shows the figures")
            return 0
        return await _follow(db, broadcast)


async def _follow(db: Store, broadcast: store.Broadcast) -> int:
    done = stalled = 0
    with tqdm(total=broadcast.total, unit="msg", desc=f"broadcast #{broadcast.id}") as bar:
        while True:
            figures = await store.figures(db, broadcast)
            finished = broadcast.total - figures.remaining
            stalled = stalled + 1 if finished == done else 0
            bar.update(finished - done)
            done = finished
            current = await store.get(db, broadcast.id)
            stopped = current is not None and current.status in (
                store.BroadcastStatus.PAUSED,
                store.BroadcastStatus.CANCELLED,
            )
            if figures.remaining == 0 or stopped:
                if stopped and current is not None:
                    bar.write(f"broadcast #{broadcast.id} is {current.status.value}")
                break
            if stalled == STALL:
                bar.write("no progress for 30 s: is the bot running (`make run`)?")
            await asyncio.sleep(1)
    print(
        f"sent {figures.sent} of {broadcast.total}; failed {figures.failed}; "
        f"blocked {figures.blocked}; cancelled {figures.cancelled}"
    )
    return 0


BROADCAST = Command(
    "send a message to an audience (the bot delivers)", _arguments, _run, opens_database=True
)
