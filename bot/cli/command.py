"""What a `mooc-bot` command is: its help, its arguments and what it runs, with what it gets."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.base.settings import Settings
from flows.content import Content

__all__ = ["EXIT_CONFIG", "Command", "Invocation", "no_arguments", "print_warnings", "report"]

EXIT_CONFIG = 2


@dataclass(frozen=True, slots=True)
class Invocation:
    """One run of a command: the checked settings and content, and its parsed arguments."""

    settings: Settings
    content: Content
    args: argparse.Namespace
    content_warnings: list[str]  # missing translations: `check-content` shows them


def no_arguments(parser: argparse.ArgumentParser) -> None:
    """A command that takes no arguments of its own."""


@dataclass(frozen=True, slots=True)
class Command:
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[Invocation], int]
    # Checked before the store opens: aiosqlite's failed connect leaves its thread to
    # report to a closed event loop ("Event loop is closed" tracebacks).
    opens_database: bool = False


def report(lines: Iterable[str]) -> int:
    """The lines on stderr; the exit status of a problem with the settings or the input."""
    for line in lines:
        print(line, file=sys.stderr)
    return EXIT_CONFIG


def print_warnings(settings: Settings) -> None:
    """The settings' warnings: it works, but probably not as meant."""
    for warning in settings.warnings:
        print(warning, file=sys.stderr)
