"""``mcp-antigravity accounts ...`` and ``mcp-antigravity quota``, run as a user would, against the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import anyio.to_thread
import pytest

from mcp_antigravity.accounts import Account, AccountsFile
from mcp_antigravity.config import load_settings
from mcp_antigravity.conversation.store import Limits
from mcp_antigravity.emulator import Emulator, running_emulator
from mcp_antigravity.emulator.accounts import EmulatedAccount
from mcp_antigravity.emulator.app import EmulatorConfig
from mcp_antigravity.storage import open_storage

from ..conftest import PROJECT, TOKEN

pytestmark = pytest.mark.anyio

A, B = "a@example.com", "b@example.com"
MODEL = "claude-sonnet-4-6"


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[Emulator, str]]:
    config = EmulatorConfig(
        token=TOKEN,
        project=PROJECT,
        email=A,
        refresh_token="rt-a",
        accounts=[EmulatedAccount(B, "tok-b", "rt-b", "proj-b", tier="standard-tier", quota={MODEL: 4})],
    )
    async with running_emulator(config) as running:
        yield running


def cli_env(url: str, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTIGRAVITY_")}
    env.update(
        ANTIGRAVITY_ENDPOINTS=url,
        ANTIGRAVITY_OAUTH_CLIENT_ID="desktop-client",
        ANTIGRAVITY_OAUTH_CLIENT_SECRET="desktop-secret",
        ANTIGRAVITY_OAUTH_TOKEN_URL=f"{url}/token",
        ANTIGRAVITY_OAUTH_USERINFO_URL=f"{url}/oauth2/v1/userinfo",
        ANTIGRAVITY_DATA_DIR=str(data),
    )
    return env


async def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mcp_antigravity", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    return await anyio.to_thread.run_sync(run)


async def test_accounts_are_added_listed_disabled_enabled_and_removed(
    upstream: tuple[Emulator, str], tmp_path: Path
) -> None:
    _, url = upstream
    env = cli_env(url, tmp_path)
    added = await cli(env, "accounts", "add", "--refresh-token", "rt-a")
    assert added.returncode == 0 and f"Account {A} added" in added.stderr
    assert (await cli(env, "accounts", "add", "--refresh-token", "rt-b")).returncode == 0
    again = await cli(env, "accounts", "add", "--refresh-token", "rt-b")
    assert f"Account {B} updated" in again.stderr

    listed = json.loads((await cli(env, "accounts", "list", "--json")).stdout)
    assert [(a["email"], a["state"]) for a in listed] == [(A, "active"), (B, "active")]
    assert "rt-" not in json.dumps(listed)

    assert (await cli(env, "accounts", "disable", B)).returncode == 0
    table = (await cli(env, "accounts", "list")).stdout
    assert B in table and "disabled" in table and "rt-" not in table
    assert (await cli(env, "accounts", "enable", B)).returncode == 0
    assert json.loads((await cli(env, "accounts", "list", "--json")).stdout)[1]["state"] == "active"

    unknown = await cli(env, "accounts", "remove", "nobody@example.com")
    assert unknown.returncode == 1 and f"accounts: {A}, {B}" in unknown.stderr
    assert (await cli(env, "accounts", "remove", A)).returncode == 0
    assert [a["email"] for a in json.loads((await cli(env, "accounts", "list", "--json")).stdout)] == [B]


async def test_a_refresh_token_the_upstream_refuses_is_not_stored(
    upstream: tuple[Emulator, str], tmp_path: Path
) -> None:
    _, url = upstream
    refused = await cli(cli_env(url, tmp_path), "accounts", "add", "--refresh-token", "rt-revoked")
    assert refused.returncode == 1 and "refused the refresh token" in refused.stderr
    assert not (tmp_path / "accounts.json").exists()


async def test_quota_shows_every_account_and_model_with_its_reset(
    upstream: tuple[Emulator, str], tmp_path: Path
) -> None:
    instance, url = upstream
    env = cli_env(url, tmp_path)
    for token in ("rt-a", "rt-b"):
        assert (await cli(env, "accounts", "add", "--refresh-token", token)).returncode == 0
    [b] = [a for a in instance.config.all_accounts if a.email == B]
    instance.book.admit(b, MODEL)  # B has used one of its four calls

    shown = json.loads((await cli(env, "quota", "--json")).stdout)
    by_email = {a["email"]: a for a in shown}
    assert set(by_email) == {A, B}
    assert by_email[B]["models"][MODEL]["remaining_fraction"] == 0.75
    assert by_email[B]["models"][MODEL]["reset_time"].endswith("Z")
    assert by_email[A]["models"][MODEL]["remaining_fraction"] == 1.0
    assert (by_email[B]["tier"], by_email[B]["project"]) == ("standard-tier", "proj-b")

    table = (await cli(env, "quota")).stdout.splitlines()
    assert table[0].split() == ["account", "model", "left", "resets", "(UTC)", "state"]
    [row] = [line for line in table if line.startswith(B) and f" {MODEL} " in line]
    assert "75%" in row
    accounts_table = (await cli(env, "accounts", "list")).stdout
    assert "standard-tier" in accounts_table and "proj-b" in accounts_table


async def test_with_a_shared_store_the_commands_show_and_change_the_shared_state(
    upstream: tuple[Emulator, str], tmp_path: Path, redis_server: str, redis_namespace: str
) -> None:
    """What a replica learnt (in Redis) is what `accounts list` shows; enable, disable and add
    change it for every replica; the accounts file only keeps the tokens."""
    _, url = upstream
    env = cli_env(url, tmp_path) | {
        "ANTIGRAVITY_STORE": redis_server,
        "ANTIGRAVITY_STORE_NAMESPACE": redis_namespace,
    }
    assert (await cli(env, "accounts", "add", "--refresh-token", "rt-a")).returncode == 0
    assert (await cli(env, "accounts", "add", "--refresh-token", "rt-b")).returncode == 0
    settings = load_settings(data_dir=tmp_path, store=redis_server, store_namespace=redis_namespace)
    async with AsyncExitStack() as stack:
        shared = (await open_storage(settings, Limits(), stack)).accounts
        assert shared is not None
        [a, _] = AccountsFile(settings.accounts_path).load()

        def dead(account: Account) -> None:  # as a replica records it
            account.state, account.reason = "token_dead", "invalid_grant"

        await shared.update(a, dead)
        listed = json.loads((await cli(env, "accounts", "list", "--json")).stdout)
        assert [(x["email"], x["state"]) for x in listed] == [(A, "token_dead"), (B, "active")]
        assert [x.state for x in AccountsFile(settings.accounts_path).load()] == ["active", "active"]

        assert (await cli(env, "accounts", "disable", B)).returncode == 0
        assert (await shared.load())[B]["state"] == "disabled"
        again = await cli(env, "accounts", "add", "--refresh-token", "rt-a")  # logged in again
        assert f"Account {A} updated" in again.stderr
        assert (await shared.load())[A]["state"] == "active"
        listed = json.loads((await cli(env, "accounts", "list", "--json")).stdout)
        assert [(x["email"], x["state"]) for x in listed] == [(A, "active"), (B, "disabled")]
