"""What a revoked or forgotten organiser left behind (invites) grants nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.base.clock import ManualClock
from bot.base.settings import Settings
from bot.sandbox import Person
from bot.sandbox.harness import Sandbox
from store import audit
from store import roles as role_store
from store.audit import AuditEntry
from store.roles import Role
from tests.conftest import spawn_bot
from tests.e2e.test_organisers import ORGANISER, organiser, participants_started

WITHDRAWN = "This invite link was withdrawn"


@pytest.fixture
async def tg(settings: Settings, tmp_path: Path, clock: ManualClock) -> AsyncIterator[Sandbox]:
    roles = settings.roles.model_copy(update={"organisers": [ORGANISER]})
    configured = settings.model_copy(update={"roles": roles})
    async with Sandbox(configured, tmp_path / "inv.sqlite3", clock=clock, poll_timeout=1) as box:
        yield box


async def invite_link(person: Person, role: Role) -> str:
    """`/invite <role>`: the `inv_…` payload of the link the bot answers with."""
    person.send(f"/invite {role.value}")
    answer = await person.expect("one-time link")
    return answer.shown_text.split("start=")[1]


async def invited_organiser(tg: Sandbox, name: str) -> tuple[Person, str]:
    """An organiser of settings.toml invites `name` as organiser, who takes it up."""
    olivia = await organiser(tg)
    [person] = await participants_started(tg, name)
    token = await invite_link(olivia, Role.ORGANISER)
    person.send(f"/start {token}")
    await person.expect("you are now a")
    return person, token


async def mooc_bot(*args: str, database: Path) -> str:
    """`mooc-bot ARGS` as an organiser types it on the server, beside the running bot."""
    process = await spawn_bot(*args, env={"MOOC_BOT_DB": str(database)})
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


def refusals(entries: list[AuditEntry]) -> list[tuple[int | None, str]]:
    return [
        (e.actor_id, e.detail.get("reason", "")) for e in entries if e.action == "refused:invite"
    ]


async def test_revoked_organisers_invites_and_own_link_give_no_role(tg: Sandbox) -> None:
    bea, olivias = await invited_organiser(tg, "Bea")
    beas = await invite_link(bea, Role.ORGANISER)
    [cas] = await participants_started(tg, "Cas")

    said = await mooc_bot(
        "roles", "revoke", "organiser", str(bea.user.id), database=tg.settings.database_path
    )
    assert "1 unused invite(s) they made no longer work" in said

    bea.send(f"/start {beas}")
    assert "no longer an organiser" in (await bea.expect(WITHDRAWN)).shown_text
    bea.send(f"/start {olivias}")  # the link that made her an organiser, used once already
    await bea.expect("not valid")
    cas.send(f"/start {beas}")
    await cas.expect(WITHDRAWN)
    for person in (bea, cas):
        person.send("/broadcast")
        await person.expect("I don't know the command /broadcast")

    assert await role_store.roles_of(tg.store, bea.user.id) == set()
    assert await role_store.roles_of(tg.store, cas.user.id) == set()
    entries = list(reversed(await audit.recent(tg.store)))
    [revoked] = [e for e in entries if e.action == "role.revoke"]
    assert revoked.actor_id is None
    assert revoked.detail == {"role": "organiser", "telegram_id": bea.user.id, "invites_voided": 1}
    assert refusals(entries) == [
        (bea.user.id, "void"),
        (bea.user.id, "used"),
        (cas.user.id, "void"),
    ]
    assert [e.actor_id for e in entries if e.action == "invite.used"] == [bea.user.id]


async def test_a_forgotten_organisers_invite_gives_no_role(tg: Sandbox) -> None:
    bea, _ = await invited_organiser(tg, "Bea")
    beas = await invite_link(bea, Role.FACILITATOR)
    bea.send("/forget")
    bea.press("🗑 Yes, delete everything", await bea.expect("Delete everything I hold about you?"))
    await bea.expect("everything I held about you is deleted")
    [cas] = await participants_started(tg, "Cas")

    cas.send(f"/start {beas}")
    await cas.expect(WITHDRAWN)
    cas.send("/answers")
    await cas.expect("I don't know the command /answers")

    assert await role_store.roles_of(tg.store, cas.user.id) == set()
    assert refusals(list(reversed(await audit.recent(tg.store)))) == [(cas.user.id, "void")]
