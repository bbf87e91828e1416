"""`mooc-bot check-config` and `check-content`: the settings and the content, checked."""

from __future__ import annotations

import argparse
import sys

from bot.cli.command import Command, Invocation, no_arguments, print_warnings

__all__ = ["CHECK_CONFIG", "CHECK_CONTENT"]


def _check_config(call: Invocation) -> int:
    settings, content = call.settings, call.content
    print_warnings(settings)
    print(
        f"{settings.settings}: OK ({len(settings.sessions)} session(s), "
        f"languages {', '.join(content.languages)})"
    )
    return 0


def _content_arguments(parser: argparse.ArgumentParser) -> None:
    # main() checks the content before any command; with --strict, warnings stop it too.
    parser.add_argument(
        "--strict",
        dest="strict_content",
        action="store_true",
        help="missing translations are errors too",
    )


def _check_content(call: Invocation) -> int:
    for warning in call.content_warnings:
        print(f"warning: {warning}", file=sys.stderr)
    courses = call.content.courses.values()
    sections = sum(len(c.sections) for c in courses)
    cards = sum(len(s.cards) for c in courses for s in c.sections)
    print(
        f"{call.settings.content_dir}: OK ({', '.join(call.content.languages)}; "
        f"{sections} sections, {cards} cards)"
    )
    return 0


CHECK_CONFIG = Command(
    "check the settings and exit (status 2 on problems)", no_arguments, _check_config
)
CHECK_CONTENT = Command(
    "check every content file (status 2 on errors)", _content_arguments, _check_content
)
