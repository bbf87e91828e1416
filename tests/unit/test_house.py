"""The house rules that import-linter does not check: small modules that say what they are,
each one listed in docs/architecture.md, SQL only in store/."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "flows", "store")
MOST_LINES = 300  # "modules stay under about 300 lines" (issue 19)
SQL = re.compile(r"\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE TABLE)\b")


def modules() -> list[Path]:
    return sorted(
        path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    )


def names(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", modules(), ids=names)
def test_each_module_says_what_it_is_in_one_line(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    doc = ast.get_docstring(tree)
    if path.name == "__init__.py" and not tree.body:
        return  # an empty package marker
    assert doc, f"{names(path)} has no docstring"
    assert doc.splitlines()[0].strip(), f"{names(path)}: its docstring starts with a blank line"


@pytest.mark.parametrize("path", modules(), ids=names)
def test_each_module_stays_small(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MOST_LINES, f"{names(path)} has {lines} lines (split it by responsibility)"


def test_docs_architecture_lists_every_module() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [
        names(path)
        for path in modules()
        if path.name != "__init__.py" and f"`{names(path)}`" not in text
    ]
    assert missing == [], f"docs/architecture.md has no line for {missing}"


def test_sql_is_written_only_in_store() -> None:
    found = [
        f"{names(path)}:{number}"
        for path in modules()
        if path.parts[len(ROOT.parts)] != "store" and "sandbox" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if SQL.search(line)
    ]
    assert found == [], f"SQL outside store/: {found}"
