"""`mooc-bot check-content` passes on the shipped content and names file and line when broken."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli.content_check import check_content
from bot.cli.main import main
from tests.conftest import ROOT


@pytest.fixture
def content(tmp_path: Path) -> Path:
    copy = tmp_path / "content"
    shutil.copytree(ROOT / "content", copy)
    return copy


def check(root: Path) -> tuple[list[str], list[str]]:
    report = check_content(["en", "nl"], "en", root)
    return report.errors, report.warnings


def test_shipped_content_passes_without_warnings() -> None:
    assert check(ROOT / "content") == ([], [])


def test_check_content_command_passes_on_shipped_content(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--settings", str(ROOT / "settings.toml"), "check-content", "--strict"]) == 0
    assert "OK (en, nl; 8 sections, 30 cards)" in capsys.readouterr().out


def test_missing_front_matter_names_the_file(content: Path) -> None:
    path = content / "en" / "course" / "2-why.md"
    path.write_text(path.read_text().replace("+++\n", "", 1))
    errors, _ = check(content)
    assert errors == [f"{path}:1: front matter missing: start the file with a +++ line"]


def test_wrongly_typed_front_matter_is_named(content: Path) -> None:
    path = content / "nl" / "course" / "3-how.md"
    path.write_text(path.read_text().replace("order = 3", 'order = "three"'))
    errors, _ = check(content)
    assert errors == [f"{path}:2: front matter: order must be a int"]


def test_unknown_question_is_named(content: Path) -> None:
    path = content / "en" / "course" / "1-introduction.md"
    path.write_text(path.read_text().replace('question = "q1"', 'question = "q9"'))
    errors, _ = check(content)
    assert len(errors) == 1
    assert errors[0].startswith(f"{path}:2: question 'q9' is not in")


def test_empty_card_names_the_line(content: Path) -> None:
    path = content / "en" / "course" / "4-what.md"
    text = path.read_text()
    path.write_text(text.replace("\n---\n", "\n---\n\n---\n", 1))
    line = text.splitlines().index("---") + 3
    errors, _ = check(content)
    assert errors == [f"{path}:{line}: empty card before this --- line"]


def test_card_over_telegram_limit_names_file_and_line(content: Path) -> None:
    path = content / "en" / "course" / "3-how.md"
    path.write_text(path.read_text() + "\n---\n\n" + "Long. " * 800 + "\n")
    errors, _ = check(content)
    assert len(errors) == 1
    assert errors[0].startswith(f"{path}:")
    assert "card 4: 4799 characters, Telegram allows 4096" in errors[0]


def test_broken_html_in_a_ui_string_names_file_and_line(content: Path) -> None:
    path = content / "nl" / "strings.toml"
    text = path.read_text().replace('next = "Verder ▶"', 'next = "<b>Verder ▶"')
    path.write_text(text)
    line = text.splitlines().index('next = "<b>Verder ▶"') + 1
    errors, _ = check(content)
    assert errors == [
        f"{path}:{line}: course.next: Can't parse entities: "
        'can\'t find end tag corresponding to start tag "b"'
    ]


def test_missing_translation_is_a_warning_and_falls_back(content: Path) -> None:
    path = content / "nl" / "strings.toml"
    path.write_text(path.read_text().replace('later = "Morgen verder"\n', ""))
    errors, warnings = check(content)
    assert errors == []
    assert warnings == [f"{path}: course.later: missing, the English text is used"]


def test_broken_content_stops_the_bot_with_the_report(
    content: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = content / "en" / "course" / "2-why.md"
    path.write_text(path.read_text().replace("+++\n", "", 1))
    monkeypatch.setenv("MOOC_BOT_CONTENT", str(content))
    assert main(["--settings", str(ROOT / "settings.toml"), "run"]) == 2
    assert (
        capsys.readouterr().err
        == f"{path}:1: front matter missing: start the file with a +++ line\n"
    )


def test_review_action_with_an_unknown_label_or_a_bad_id_is_named(content: Path) -> None:
    path = content / "flows" / "broadcast.toml"
    text = path.read_text()
    line = next(n for n, x in enumerate(text.splitlines(), 1) if x.startswith("review_actions"))
    path.write_text(text.replace('label = "broadcast.test"', 'label = "broadcast.nope"'))
    errors, _ = check(content)
    assert errors == [f"{path}:1: strings key 'broadcast.nope' is not in the English strings"]
    path.write_text(text.replace('id = "test"', 'id = "Test me"'))
    errors, _ = check(content)
    assert errors == [
        f"{path}:{line}: each review action needs an id "
        "(1-16 lowercase letters, digits or _) and a label"
    ]


def test_a_key_is_found_in_its_own_table_not_the_first_with_its_name(content: Path) -> None:
    path = content / "nl" / "strings.toml"
    text = path.read_text()
    lines = text.splitlines()
    table = lines.index("[answers]")
    line = next(n for n in range(table, len(lines)) if lines[n].startswith("next = ")) + 1
    broken = [x[:-1] + ' {"' if n == line else x for n, x in enumerate(lines, 1)]
    path.write_text("\n".join(broken) + "\n")
    errors, _ = check(content)
    assert errors == [
        f"{path}:{line}: answers.next: Single '{{' encountered in format string "
        "(write {{ or }} for a literal brace)"
    ]


def test_strings_that_are_not_utf8_name_the_line(content: Path) -> None:
    path = content / "nl" / "strings.toml"
    data = path.read_bytes()
    at = data.index(b"Verder")
    path.write_bytes(data[:at] + b"\xff" + data[at:])
    line = data[:at].count(b"\n") + 1
    errors, _ = check(content)
    assert errors == [f"{path}:{line}: not UTF-8 text (byte {at + 1} of the file)"]


@pytest.mark.parametrize(
    ("old", "new", "what"),
    [
        ("review = true", 'review = "no"', "review must be true or false"),
        ("\nskippable = true", '\nskippable = "yes"', "skippable must be true or false"),
        (
            'options = ["yes", "partly", "no"]',
            'options = "yes"',
            'options must be a list of strings, like ["yes", "no"]',
        ),
        ('data = "c:r"', "", "each [[exit_buttons]] needs a label and data (strings)"),
    ],
)
def test_a_flow_key_of_the_wrong_type_is_one_line(
    content: Path, old: str, new: str, what: str
) -> None:
    path = content / "flows" / "reflection.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    errors, _ = check(content)
    assert len(errors) == 1
    assert errors[0].startswith(f"{path}:")
    assert errors[0].endswith(what)


def test_steps_that_are_not_tables_are_one_line(content: Path) -> None:
    path = content / "flows" / "after.toml"
    path.write_text('id = "after"\ncode = "af"\nstrings = "after"\nsteps = 3\n')
    errors, _ = check(content)
    assert f"{path}:4: steps must be [[steps]] tables" in errors


def test_a_when_without_values_is_one_line(content: Path) -> None:
    path = content / "flows" / "broadcast.toml"
    path.write_text(path.read_text().replace('is = ["later"]', 'iss = ["later"]', 1))
    errors, _ = check(content)
    assert len(errors) == 1
    assert errors[0].endswith('when must be like { step = "q1", is = ["no"] }')


def test_the_digest_template_is_laid_out_in_every_branch(content: Path) -> None:
    path = content / "templates" / "digest.html.j2"
    text = path.read_text()
    line = next(n for n, x in enumerate(text.splitlines(), 1) if "digest.no_quotes" in x)
    path.write_text(text.replace('t("digest.no_quotes")', 't("digest.no_such")'))
    errors, _ = check(content)
    assert errors == [
        f"{path}:{line}: fails on sample data: no UI string 'digest.no_such' in 'en' or 'en'"
    ]
