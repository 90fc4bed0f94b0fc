"""``mcp-antigravity accounts ...`` and ``mcp-antigravity quota``: the accounts file, from a terminal.

Tokens never appear in any output: accounts are shown by email only. With a shared store
(``ANTIGRAVITY_STORE=redis://...``) the state shown and changed (``list``, ``quota``, ``enable``,
``disable``) is the one the replicas share.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the commands import what they use, so that `--help` and `--version` stay light
    from .accounts import Account, AccountsFile
    from .accounts.shared import AccountStates
    from .config import Settings

GROUPS = (("claude", "claude"), ("gemini-pro", "pro"), ("gemini-flash", "flash"), ("image", "image"))
"""Model groups of ``accounts list``: a model belongs to the first group whose marker its id holds."""


def add_parser(commands: Any, after: argparse.ArgumentParser) -> None:
    """``accounts ...`` and ``quota``; ``after`` holds the options that may follow any command."""
    accounts = commands.add_parser(
        "accounts", help="the Google accounts the server calls with", parents=[after]
    )
    actions = accounts.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add", help="log in with Google and store the account under its email", parents=[after]
    )
    login_options(add)
    add.add_argument(
        "--refresh-token",
        metavar="TOKEN",
        help="store this refresh token instead of logging in (scripts, CI)",
    )
    listing = actions.add_parser(
        "list", help="every account: state, tier, project, quota per model group", parents=[after]
    )
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    for name, text in (
        ("remove", "forget an account"),
        ("disable", "keep an account but stop using it"),
        ("enable", "use an account again (also after verifying it)"),
    ):
        actions.add_parser(name, help=text, parents=[after]).add_argument("email")
    quota = commands.add_parser(
        "quota", help="every account's quota for every model, read from the upstream now"
    )
    quota.add_argument("--json", action="store_true", help="print JSON instead of a table")


def login_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port", type=int, default=51121, help="loopback port the browser returns to (0: any free one)"
    )
    parser.add_argument(
        "--no-browser", action="store_true", help="print the address instead of opening a browser"
    )
    parser.add_argument(
        "--paste",
        action="store_true",
        help="for machines without a browser: paste the address the browser ended on",
    )


def run(settings: Settings, args: argparse.Namespace) -> int:
    import anyio

    from .accounts import AccountsFile, AccountsFileError
    from .storage import StoreError

    file = AccountsFile(settings.accounts_path)
    try:
        if args.command == "quota":
            return anyio.run(_quota, settings, file, args.json)
        if args.action == "add":
            return add(settings, file, args)
        if args.action == "list":
            return anyio.run(_list, settings, file, args.json)
        return anyio.run(_change, settings, file, args.action, args.email)
    except (AccountsFileError, StoreError) as exc:
        print(exc, file=sys.stderr)
        return 2


@asynccontextmanager
async def _shared(settings: Settings) -> AsyncIterator[AccountStates | None]:
    """The shared store's account states, when the settings name one."""
    if settings.store is None:
        yield None
        return
    from .storage.redis import connect
    from .storage.redis_accounts import RedisAccountStates

    connection = await connect(settings)
    try:
        yield RedisAccountStates(connection)
    finally:
        await connection.close()


async def _share_state(settings: Settings, account: Account) -> None:
    """Store ``account``'s state (as the file has it now) in the shared store, if there is one."""
    state = account.state_json()
    async with _shared(settings) as shared:
        if shared is not None:
            await shared.update(account, lambda current: current.take_state(state))


async def _accounts(settings: Settings, file: AccountsFile) -> list[Account]:
    """The accounts, with the state the replicas share when there is a shared store."""
    accounts = file.load()
    async with _shared(settings) as shared:
        if shared is None:
            return accounts
        states = await shared.load()
    return [a.with_state(states[a.email]) if a.email in states else a for a in accounts]


def add(settings: Settings, file: AccountsFile, args: argparse.Namespace) -> int:
    import anyio

    from .accounts.store import put_account
    from .antigravity.accounts import migrate_saved_login
    from .login import LoginError

    try:
        email, refresh_token = anyio.run(_login, settings, args)
    except LoginError as exc:
        print(exc, file=sys.stderr)
        return 1
    migrate_saved_login(settings, file)  # so a login saved before accounts is renamed, not doubled
    what = file.update(lambda accounts: put_account(accounts, email, refresh_token, time.time()))
    stored = next(a for a in file.load() if a.email == email)
    anyio.run(_share_state, settings, stored)  # a shared store's old verdict on it goes too
    print(f"Account {email} {what} in {file.path} (readable only by you).", file=sys.stderr)
    return 0


async def _login(settings: Settings, args: argparse.Namespace) -> tuple[str, str]:
    """The email and refresh token of a login (or of ``--refresh-token``)."""
    import webbrowser

    import anyio.to_thread
    import httpx2

    from .login import (
        CALLBACK_PATH,
        CallbackListener,
        code_from,
        email_of,
        exchange,
        plan,
        refresh_access_token,
    )

    def show(url: str) -> None:
        print(f"Open this address in a browser and allow access:\n\n{url}\n", file=sys.stderr, flush=True)
        if not args.no_browser:
            webbrowser.open(url)

    async with httpx2.AsyncClient(timeout=30.0) as http:
        given = getattr(args, "refresh_token", None)
        if given:
            access = await refresh_access_token(http, settings, given)
            return await email_of(http, settings, access), given
        if args.paste:
            login = plan(settings, f"http://localhost:{args.port}{CALLBACK_PATH}")
            show(login.url)
            print(
                "Then paste the address the browser ended on (it may say it cannot connect):",
                file=sys.stderr,
                flush=True,
            )
            code = code_from(await anyio.to_thread.run_sync(sys.stdin.readline), login.state)
        else:
            async with CallbackListener(args.port) as listener:
                login = plan(settings, listener.redirect_uri)
                listener.expect(login.state)
                show(login.url)
                code = await listener.code()
        tokens = await exchange(http, settings, code, login)
        return await email_of(http, settings, str(tokens["access_token"])), str(tokens["refresh_token"])


async def _change(settings: Settings, file: AccountsFile, action: str, email: str) -> int:
    def set_state(account: Account) -> None:
        account.state = "disabled" if action == "disable" else "active"
        account.reason = account.verify_url = None
        account.state_since = time.time()
        if action == "enable":
            account.cooldowns.clear()

    def apply(accounts: list[Account]) -> None:
        for index, account in enumerate(accounts):
            if account.email != email:
                continue
            if action == "remove":
                del accounts[index]
            else:
                set_state(account)
            return

    accounts = file.load()
    if email not in [a.email for a in accounts]:
        known = ", ".join(a.email for a in accounts) or "none yet"
        print(f"No account {email} (accounts: {known}).", file=sys.stderr)
        return 1
    if action != "remove":
        async with _shared(settings) as shared:
            if shared is not None:  # what every replica goes by
                await shared.update(next(a for a in accounts if a.email == email), set_state)
    file.update(apply)
    print(f"Account {email}: {'removed' if action == 'remove' else action + 'd'}.", file=sys.stderr)
    return 0


# ---------------------------------------------------------------------------- views


async def _list(settings: Settings, file: AccountsFile, as_json: bool) -> int:
    from .accounts.views import account_view

    now = time.time()
    accounts = await _accounts(settings, file)
    if as_json:
        print(json.dumps([account_view(a, now) for a in accounts], indent=1))
        return 0
    if not accounts:
        print("No accounts yet: `mcp-antigravity accounts add` adds one.")
        return 0
    header = ["email", "state", "tier", "project", *(name for name, _ in GROUPS), "cooling"]
    rows = []
    for account in accounts:
        cooling = [
            f"{m} until {_short(c.until)}" for m, c in sorted(account.cooldowns.items()) if c.until > now
        ]
        rows.append(
            [
                account.email,
                account.state + (f" ({account.verify_url})" if account.verify_url else ""),
                account.tier or "-",
                account.project or "-",
                *(_group(account, marker, now) for _, marker in GROUPS),
                "; ".join(cooling) or "-",
            ]
        )
    print(table(header, rows))
    return 0


def _group(account: Account, marker: str, now: float) -> str:
    """The lowest remaining fraction of the group's models, with its reset (as the peers show it)."""
    quotas = [
        q for m, q in account.quota.items() if next((mk for _, mk in GROUPS if mk in m), None) == marker
    ]
    if not quotas:
        return "-"
    low = min(quotas, key=lambda q: (q.remaining, q.reset_at or 0))
    reset = f" resets {_short(low.reset_at)}" if low.reset_at and low.remaining < 1 else ""
    return f"{low.remaining:.0%}{reset}"


async def _quota(settings: Settings, file: AccountsFile, as_json: bool) -> int:
    from .accounts.views import account_view
    from .antigravity import AntigravityClient, open_http_client
    from .antigravity.accounts import pool_for

    async with open_http_client(settings) as http, _shared(settings) as shared:
        client = AntigravityClient(settings, http, accounts=pool_for(settings, http, shared=shared))
        if client.credential_kind == "none":
            print("No accounts yet: `mcp-antigravity accounts add` adds one.", file=sys.stderr)
            return 1
        await client.accounts.sync()
        for account in client.accounts.accounts():
            if account.state == "active":  # the others are not asked anything until the user acts
                await client.available_models(refresh=True, account=account.email)
        accounts = client.accounts.accounts()
    now = time.time()
    views = [account_view(a, now) for a in accounts]
    if as_json:
        print(json.dumps(views, indent=1))
        return 0
    rows = []
    for view in views:
        if not view["models"]:
            rows.append([view["email"], "-", "-", "-", view["state"]])
        for model, seen in view["models"].items():
            fraction = seen["remaining_fraction"]
            cooling = (
                f"cooling until {seen['cooldown_until']} ({seen['cooldown_reason']})"
                if seen["cooldown_until"]
                else ""
            )
            rows.append(
                [view["email"], model, f"{fraction:.0%}", seen["reset_time"] or "-", cooling or view["state"]]
            )
    print(table(["account", "model", "left", "resets (UTC)", "state"], rows))
    return 0


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=False)).rstrip()
        for line in [header, ["-" * w for w in widths], *rows]
    ]
    return "\n".join(lines)


def _short(moment: float | None) -> str:
    return time.strftime("%m-%d %H:%M UTC", time.gmtime(moment)) if moment else "-"
