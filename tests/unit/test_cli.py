"""The mooc-bot command as a real process: config checks, backups, no token in output."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from bot.sandbox import BotApiServer, Person
from tests.conftest import ROOT, spawn_bot


async def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> tuple[int, str, str]:
    process = await spawn_bot(*args, env=env)
    async with asyncio.timeout(timeout):
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_check_config_passes_on_the_shipped_settings() -> None:
    code, out, _ = await run("check-config")
    assert code == 0
    assert "OK" in out


async def test_broken_settings_exit_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text((ROOT / "settings.toml").read_text().replace("capacity = 100", "capacity = 0"))
    for command in ("check-config", "run"):
        code, out, err = await run("--settings", str(bad), command)
        assert code == 2
        assert err.strip().count("\n") == 0
        assert "sessions[0].capacity" in err
        assert "Traceback" not in err + out


async def test_run_as_a_service_without_a_token_says_so_instead_of_opening_the_sandbox() -> None:
    code, _, err = await run("run", env={"INVOCATION_ID": "0123abcd"})  # as systemd starts it
    assert code == 2
    assert "MOOC_BOT_TOKEN is not set" in err


async def test_db_backup_copies_a_live_database(tmp_path: Path) -> None:
    from store.db import Store

    db = tmp_path / "live.sqlite3"
    async with Store(db) as store:
        await store.execute(
            "INSERT INTO audit_log (at, action) VALUES ('2026-01-01T00:00:00+00:00', 'test')"
        )
        code, _out, err = await run(
            "db", "backup", str(tmp_path / "copy.sqlite3"), env={"MOOC_BOT_DB": str(db)}
        )
        assert code == 0, err
    async with Store(tmp_path / "copy.sqlite3") as copy:
        row = await copy.fetch_one("SELECT action FROM audit_log")
        assert row is not None
        assert row["action"] == "test"


async def test_real_run_answers_and_never_prints_the_token(tmp_path: Path) -> None:
    token = "987654:REAL-looking-token-XYZ"
    async with BotApiServer(token) as server:
        process = await spawn_bot(
            "run",
            env={
                "MOOC_BOT_TOKEN": token,
                "MOOC_BOT_API_URL": server.url,
                "MOOC_BOT_DB": str(tmp_path / "bot.sqlite3"),
                "MOOC_BOT_LOGGING__LEVEL": "DEBUG",
            },
        )
        try:
            ann = Person.create(server.world, "Ann")
            ann.send("/start")
            await ann.expect("What would you like to do?", timeout=60)
        finally:
            process.send_signal(signal.SIGINT)
            async with asyncio.timeout(30):
                out, err = await process.communicate()
    assert process.returncode == 0
    assert token not in out.decode() + err.decode()
    assert "***" in err.decode()  # the token was there, and was redacted


async def test_logins_import_reports_added_duplicates_and_bad_rows(tmp_path: Path) -> None:
    codes = tmp_path / "codes.csv"
    codes.write_text("Code,note\nA-1,first\nA-2,\nA-1,again\n,empty\nB 3,space\nA-3,\n")
    env = {"MOOC_BOT_DB": str(tmp_path / "bot.sqlite3")}
    code, out, err = await run("logins", "import", str(codes), env=env)
    assert code == 0, err
    assert "added 3 code(s); skipped 1 duplicate(s); 2 bad row(s)" in out
    assert f"{codes}: line 5: no code" in out
    assert f"{codes}: line 6: 'B 3' is not a valid code" in out
    assert "3 code(s) in the pool, 3 free" in out
    code, out, _ = await run("logins", "import", str(codes), env=env)
    assert "added 0 code(s); skipped 4 duplicate(s)" in out


async def test_logins_import_refuses_a_file_without_a_code_column(tmp_path: Path) -> None:
    codes = tmp_path / "codes.csv"
    codes.write_text("login\nA-1\n")
    code, _, err = await run("logins", "import", str(codes))
    assert code == 2
    assert err.strip() == f"{codes}:1: the first line must name the columns, one of them 'code'"


async def test_broadcast_from_the_command_line_checks_html_and_queues_rows(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from store import inbox, outbox, participants
    from store.db import Store

    db = tmp_path / "bot.sqlite3"
    async with Store(db) as store:
        for telegram_id in (11, 12):
            await participants.seen(
                store,
                telegram_id=telegram_id,
                chat_id=telegram_id,
                first_name="P",
                last_name=None,
                username=None,
                language="en",
                now=datetime.now(UTC),
            )
    env = {"MOOC_BOT_DB": str(db)}
    broken = tmp_path / "broken.html"
    broken.write_text("<b>unclosed")
    code, _, err = await run(
        "broadcast", "--audience", "everyone", "--text-file", str(broken), env=env
    )
    assert code == 2
    assert "not valid Telegram HTML" in err
    message = tmp_path / "msg.html"
    message.write_text("<b>Hello</b> everyone")
    args = ("broadcast", "--audience", "everyone", "--text-file", str(message))
    code, out, _ = await run(*args, "--dry-run", env=env)
    assert "dry run: 2 recipient(s)" in out
    code, out, _ = await run(*args, "--no-wait", env=env)
    assert code == 0
    assert "broadcast #1: 2 recipient(s)" in out
    async with Store(db) as store:
        kinds = await outbox.counts_by_kind(store)
    assert kinds["broadcast"] == {outbox.OutboxStatus.PENDING: 2}
    code, out, _ = await run("outbox", env=env)
    assert code == 0
    header, row = out.splitlines()[:2]
    assert header.split() == ["kind", "pending", "sent", "failed", "cancelled", "missed", "sending"]
    assert row.split() == ["broadcast", "2", "0", "0", "0", "0", "0"]
    assert "inbox: 0 pending, 0 handled, 0 parked" in out
    async with Store(db) as store:  # an update whose handler kept failing
        now = datetime.now(UTC)
        await inbox.receive(store, [inbox.Incoming(77, 1, {"update_id": 77})], now)
        await inbox.park(store, 77, 3, "IntegrityError('broken')", now)
    code, out, _ = await run("outbox", env=env)
    assert "inbox: 0 pending, 0 handled, 1 parked" in out
    assert "parked update 77" in out
    assert "IntegrityError('broken')" in out


async def test_export_stats_and_purge_from_the_command_line(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from bench.export import seed

    db = tmp_path / "seeded.sqlite3"
    await seed(db, 30)
    env = {"MOOC_BOT_DB": str(db)}
    code, out, err = await run("export", "--out", str(tmp_path / "out"), "--anonymise", env=env)
    assert code == 0, err
    assert "30 participant(s), 150 answer(s), 30 registration(s) (anonymised)" in out
    book = load_workbook(tmp_path / "out" / "answers.xlsx")
    q4 = book["Q4 4 · Suggestions for research"]
    assert q4["A2"].value.startswith("Participant ")
    assert q4["E2"].value.startswith("=In our team")
    assert q4["E2"].data_type == "s"
    assert (tmp_path / "out" / "answers.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    code, out, err = await run("stats", "--chart", str(tmp_path / "f.png"), env=env)
    assert code == 0, err
    assert "Answered all five" in out
    assert (tmp_path / "f.png").read_bytes().startswith(b"\x89PNG")
    code, out, _ = await run("purge", env=env)
    assert code == 0
    assert "delete_after_days is not set" in out
