"""`mooc-bot roles grant|revoke|list`: organisers and facilitators from the command line."""

from __future__ import annotations

import argparse
import asyncio

from bot.base.clock import SystemClock
from bot.base.settings import Settings
from bot.cli.command import Command, Invocation
from store import audit
from store import roles as role_store
from store.db import Store
from store.roles import Role

__all__ = ["ROLES"]


def _arguments(parser: argparse.ArgumentParser) -> None:
    verbs = parser.add_subparsers(dest="roles_command", required=True)
    for verb in ("grant", "revoke"):
        change = verbs.add_parser(verb, help=f"{verb} a role")
        change.add_argument("role", choices=[role.value for role in Role])
        change.add_argument("telegram_id", type=int, help="the person's Telegram user id")
    verbs.add_parser("list", help="who has which role (settings and granted)")


def _run(call: Invocation) -> int:
    return asyncio.run(_roles(call.settings, call.args))


async def _list(store: Store, settings: Settings) -> None:
    for role, ids in (
        (Role.ORGANISER, settings.roles.organisers),
        (Role.FACILITATOR, settings.roles.facilitators),
    ):
        for telegram_id in ids:
            print(f"{role.value:<12} {telegram_id:>14}  (settings.toml)")
    for grant in await role_store.grants(store):
        by = {None: "the command line", 0: "someone since forgotten"}.get(
            grant.granted_by, grant.granted_by
        )
        print(f"{grant.role.value:<12} {grant.telegram_id:>14}  (granted by {by})")


async def _roles(settings: Settings, args: argparse.Namespace) -> int:
    now = SystemClock().now()
    async with Store(settings.database_url) as store:
        if args.roles_command == "list":
            await _list(store, settings)
            return 0
        role = Role(args.role)
        detail: dict[str, object] = {"role": role.value, "telegram_id": args.telegram_id}
        voided = 0
        async with store.turn():  # the change and its audit row, together
            if args.roles_command == "grant":
                changed = await role_store.grant(store, args.telegram_id, role, None, now)
            else:
                makers = settings.roles.organisers
                revocation = await role_store.revoke(
                    store, args.telegram_id, role, now, makers=makers
                )
                changed, voided = revocation.revoked, revocation.voided
                detail["invites_voided"] = voided
            await audit.record(
                store, actor_id=None, action=f"role.{args.roles_command}", now=now, detail=detail
            )
        state = "done" if changed else "nothing to change"
        print(f"{args.roles_command} {role.value} {args.telegram_id}: {state}")
        if voided:
            print(f"{voided} unused invite(s) they made no longer work")
        print("The bot updates command menus at its next start.")
    return 0


ROLES = Command("organisers and facilitators", _arguments, _run, opens_database=True)
