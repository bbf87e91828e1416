"""A content folder with a second reflection flow, for the session "s2": a TOML file and
its strings, made from the shipped reflection flow (no Python changes)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECOND = "reflection_b"
SESSION = "s2"
MARK = "② "  # the start of the second flow's intro


def _strings_block(text: str, prefix: str) -> str:
    """The [prefix] and [prefix.*] tables of a strings file, renamed to SECOND; its intro
    begins with MARK, to tell the two flows apart."""
    kept: list[str] = []
    inside = False
    for line in text.splitlines():
        header = re.match(r"^\[([^\]]+)\]\s*$", line)
        if header:
            name = header.group(1)
            inside = name == prefix or name.startswith(f"{prefix}.")
            if inside:
                line = f"[{SECOND}{name.removeprefix(prefix)}]"
        if inside:
            kept.append(line.replace('intro = """', f'intro = """{MARK}', 1))
    return "\n".join(kept) + "\n"


def second_flow_toml(shipped: str, session: str = SESSION) -> str:
    """content/flows/reflection.toml as the second flow: its own id, code, string keys and
    step ids (reflection flows are read together), the same questions, for session s2."""
    text = shipped.replace('id = "reflection"', f'id = "{SECOND}"', 1)
    text = text.replace('code = "rf"', 'code = "rb"', 1)
    text = text.replace('strings = "reflection"', f'strings = "{SECOND}"', 1)
    text = text.replace('"reflection.', f'"{SECOND}.')
    text = re.sub(r'^id = "(?!' + SECOND + r')(\w+)"', r'id = "b\1"', text, flags=re.M)
    text = re.sub(r'step = "(\w+)"', r'step = "b\1"', text)
    return text.replace('kind = "reflection"\n', f'kind = "reflection"\nsessions = ["{session}"]\n')


def content_with_second_reflection(folder: Path, session: str = SESSION) -> Path:
    """A copy of content/ in `folder` with reflection_b.toml (for `session`) and its
    strings (en, nl)."""
    shutil.copytree(ROOT / "content", folder)
    flows = folder / "flows"
    shipped = (flows / "reflection.toml").read_text(encoding="utf-8")
    (flows / f"{SECOND}.toml").write_text(second_flow_toml(shipped, session), encoding="utf-8")
    for language in ("en", "nl"):
        path = folder / language / "strings.toml"
        text = path.read_text(encoding="utf-8")
        path.write_text(f"{text}\n{_strings_block(text, 'reflection')}", encoding="utf-8")
    return folder
