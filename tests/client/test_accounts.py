"""The pool of accounts inside the one client, against an emulator that knows three accounts.

Every failure class moves, cools or disables exactly as ``antigravity/rotation.py`` says; the
accounts file records it; the accounts the emulator saw are the ones the policy names.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest

from mcp_antigravity.accounts import Account, AccountsFile
from mcp_antigravity.antigravity import (
    AccountsSpent,
    AntigravityClient,
    PermissionDeniedError,
    RateLimitError,
)
from mcp_antigravity.antigravity.wire import Content, GenerateContentRequest, Part
from mcp_antigravity.emulator import Emulator, EmulatorConfig, parse_fault, running_emulator
from mcp_antigravity.emulator.accounts import VERIFY_URL

from ..conftest import (
    PROJECT,
    A,
    B,
    C,
    RecordingSleep,
    generations,
    make_settings,
    pool_settings,
    store_accounts,
    three_accounts,
)

pytestmark = pytest.mark.anyio

MODEL = "claude-sonnet-4-6"


def ask(text: str = "hello") -> GenerateContentRequest:
    return GenerateContentRequest(contents=[Content(role="user", parts=[Part(text=text)])])


@asynccontextmanager
async def pool_client(
    config: EmulatorConfig,
    folder: Path,
    *emails: str,
    sleep: Callable[[float], Any] | None = None,
    tokens: dict[str, str] | None = None,
    disabled: tuple[str, ...] = (),
    **settings: Any,
) -> AsyncIterator[tuple[Emulator, AntigravityClient, AccountsFile]]:
    given = tokens or {}
    file = store_accounts(folder, {email: given.get(email, "rt-" + email[0]) for email in emails})

    def disable(accounts: list[Account]) -> None:
        for account in accounts:
            account.state = "disabled" if account.email in disabled else account.state

    file.update(disable)
    async with running_emulator(config) as (instance, url), httpx2.AsyncClient(timeout=10) as http:
        chosen = pool_settings(url, folder, **settings)
        client = AntigravityClient(chosen, http, sleep=sleep or RecordingSleep(), random=lambda: 0.5)
        yield instance, client, file


def served(instance: Emulator) -> list[tuple[str, int]]:
    return [(r["account"], r["status"]) for r in generations(instance)]


def stored(file: AccountsFile) -> dict[str, Account]:
    return {a.email: a for a in file.load()}


async def test_each_account_calls_with_its_own_token_and_project(tmp_path: Path) -> None:
    async with pool_client(three_accounts(), tmp_path, A, B, C, account_strategy="round-robin") as (
        instance,
        client,
        file,
    ):
        for _ in range(3):
            await client.generate(MODEL, ask())
    calls = generations(instance)
    assert sorted(r["account"] for r in calls) == [A, B, C]
    assert {r["account"]: r["body"]["project"] for r in calls} == {A: PROJECT, B: "proj-b", C: "proj-c"}
    # discovery's project and tier are kept with each account, for the next process
    assert {e: (a.project, a.tier) for e, a in stored(file).items()} == {
        A: (PROJECT, "free-tier"),
        B: ("proj-b", "free-tier"),
        C: ("proj-c", "free-tier"),
    }


async def test_quota_exhaustion_cools_the_account_until_its_reset_and_moves_at_once(tmp_path: Path) -> None:
    sleep = RecordingSleep()
    config = three_accounts(**{A: {"quota": {MODEL: 1}, "window": 7200.0}})
    async with pool_client(config, tmp_path, A, B, sleep=sleep, account_strategy="sticky") as (
        instance,
        client,
        file,
    ):
        await client.generate(MODEL, ask())
        await client.generate(MODEL, ask())  # A is spent: 429, then B at once
        await client.generate(MODEL, ask())  # A is cooling: straight to B
    assert served(instance) == [(A, 200), (A, 429), (B, 200), (B, 200)]
    assert sleep.delays == []
    cooling = stored(file)[A].cooldowns[MODEL]
    assert cooling.reason == "quota exhausted"
    assert abs(cooling.until - (time.time() + 7200)) < 30
    assert stored(file)[B].cooldowns == {}


async def test_every_account_spent_fails_fast_with_each_reset_and_the_models_left(tmp_path: Path) -> None:
    config = three_accounts(
        **{A: {"quota": {MODEL: 1}, "window": 3600.0}, B: {"quota": {MODEL: 1}, "window": 7200.0}}
    )
    async with pool_client(config, tmp_path, A, B) as (instance, client, _):
        await client.available_models(account=A)  # the quota of the other models, as the upstream says it
        await client.generate(MODEL, ask())
        await client.generate(MODEL, ask())
        with pytest.raises(AccountsSpent) as raised:
            await client.generate(MODEL, ask())
        before = len(generations(instance))
        with pytest.raises(AccountsSpent):
            await client.generate(MODEL, ask())
        assert len(generations(instance)) == before  # nothing more was sent upstream
    spent = raised.value
    assert [(s.email, s.why) for s in spent.accounts] == [(A, "quota exhausted"), (B, "quota exhausted")]
    assert spent.accounts[0].available_at is not None and spent.accounts[1].available_at is not None
    assert abs(spent.accounts[0].available_at - (time.time() + 3600)) < 30
    assert spent.earliest == spent.accounts[0].available_at
    assert "gemini-3-flash" in spent.models_left and MODEL not in spent.models_left
    assert f"No account can serve {MODEL} now" in str(spent) and "available again at" in str(spent)


async def test_a_short_rate_limit_is_waited_out_on_the_same_account(tmp_path: Path) -> None:
    config = three_accounts(**{A: {"burst": 1, "burst_window": 0.4}})
    async with pool_client(config, tmp_path, A, B, sleep=anyio.sleep, account_strategy="sticky") as (
        instance,
        client,
        file,
    ):
        await client.generate(MODEL, ask())
        await client.generate(MODEL, ask())
    assert served(instance) == [(A, 200), (A, 429), (A, 200)]
    assert stored(file)[A].cooldowns == {}


async def test_a_longer_rate_limit_cools_the_account_briefly_and_moves(tmp_path: Path) -> None:
    config = three_accounts(**{A: {"burst": 1, "burst_window": 60.0}})
    async with pool_client(config, tmp_path, A, B, account_strategy="sticky") as (instance, client, file):
        await client.generate(MODEL, ask())
        await client.generate(MODEL, ask())
    assert served(instance) == [(A, 200), (A, 429), (B, 200)]
    cooling = stored(file)[A].cooldowns[MODEL]
    assert cooling.reason == "rate limited" and 30 < cooling.until - time.time() <= 60


async def test_with_no_other_account_a_longer_rate_limit_waits(tmp_path: Path) -> None:
    sleep = RecordingSleep()
    config = three_accounts(**{A: {"burst": 1, "burst_window": 10.0}})
    async with pool_client(config, tmp_path, A, sleep=sleep, max_retry_delay=30.0) as (
        _,
        client,
        file,
    ):
        await client.generate(MODEL, ask())
        with pytest.raises(RateLimitError):  # the recorded sleep does not really wait, so retries run out
            await client.generate(MODEL, ask())
    assert sleep.delays and all(5 < d <= 10 for d in sleep.delays)
    assert stored(file)[A].cooldowns == {}


async def test_an_account_that_must_be_verified_is_marked_with_its_link_and_skipped(tmp_path: Path) -> None:
    config = three_accounts(**{A: {"state": "verify"}})
    async with pool_client(config, tmp_path, A, B, account_strategy="sticky") as (instance, client, file):
        await client.generate(MODEL, ask())
        await client.generate(MODEL, ask())
    assert served(instance) == [(A, 403), (B, 200), (B, 200)]
    account = stored(file)[A]
    assert (account.state, account.verify_url) == ("needs_verification", VERIFY_URL)


async def test_a_suspended_account_and_a_dead_refresh_token_are_disabled_with_the_reason(
    tmp_path: Path,
) -> None:
    config = three_accounts(**{A: {"state": "suspended"}})
    tokens = {A: "rt-a", B: "rt-revoked", C: "rt-c"}
    async with pool_client(config, tmp_path, A, B, C, tokens=tokens, account_strategy="round-robin") as (
        instance,
        client,
        file,
    ):
        for _ in range(4):
            await client.generate(MODEL, ask())
    accounts = stored(file)
    assert accounts[A].state == "suspended" and "Terms of Service" in (accounts[A].reason or "")
    assert accounts[B].state == "token_dead" and "invalid_grant" in (accounts[B].reason or "")
    assert accounts[C].state == "active"
    assert [a for a, status in served(instance) if status == 200] == [C] * 4
    assert [a for a, _ in served(instance)].count(A) == 1  # tried once, never again


async def test_a_refused_token_is_renewed_once_then_the_call_moves(tmp_path: Path) -> None:
    config = three_accounts()
    config.faults.append(parse_fault("expired_token:times=2"))
    async with pool_client(config, tmp_path, A, B, account_strategy="sticky") as (instance, client, file):
        await client.generate(MODEL, ask())
        await client.generate(MODEL, ask())
    assert served(instance) == [(A, 401), (A, 401), (B, 200), (B, 200)]
    assert stored(file)[A].state == "active" and stored(file)[A].cooldowns == {}


async def test_a_pool_of_one_from_the_settings_fails_as_before(tmp_path: Path) -> None:
    config = three_accounts(**{A: {"state": "verify"}})
    async with running_emulator(config) as (_, url), httpx2.AsyncClient() as http:
        client = AntigravityClient(make_settings(url, data_dir=tmp_path), http, sleep=RecordingSleep())
        for _ in range(2):  # not marked: the user verifies, and the next call tries again
            with pytest.raises(PermissionDeniedError, match="Verify"):
                await client.generate(MODEL, ask())
    assert not (tmp_path / "accounts.json").exists()


async def test_another_processes_changes_are_seen(tmp_path: Path) -> None:
    async with pool_client(three_accounts(), tmp_path, A, B, account_strategy="sticky") as (
        instance,
        client,
        file,
    ):
        await client.generate(MODEL, ask())
        first = served(instance)[0][0]

        def disable(accounts: list[Account]) -> None:
            for account in accounts:
                if account.email == first:
                    account.state = "disabled"

        file.update(disable)  # as `mcp-antigravity accounts disable` in another process
        await anyio.sleep(1.05)  # the pool looks at the file at most once a second
        await client.generate(MODEL, ask())
    assert served(instance)[1][0] != first


async def test_the_accounts_file_never_holds_more_than_the_accounts(tmp_path: Path) -> None:
    async with pool_client(three_accounts(), tmp_path, A, B) as (_, client, file):
        await client.available_models(account=B)
    data = json.loads(file.path.read_text())
    assert data["version"] == 1 and [a["email"] for a in data["accounts"]] == [A, B]
    assert stored(file)[B].quota[MODEL].remaining == 1.0


async def test_a_fallback_project_is_never_kept_with_the_account(tmp_path: Path) -> None:
    from mcp_antigravity.config import DEFAULT_PROJECT

    from .test_client import closed_port_url

    # discovery cannot be reached: the call goes out under the fallback project, which is not stored
    async with pool_client(three_accounts(), tmp_path, A, discovery_endpoints=[closed_port_url()]) as (
        instance,
        client,
        file,
    ):
        await client.generate(MODEL, ask())
    assert generations(instance)[0]["body"]["project"] == DEFAULT_PROJECT
    assert stored(file)[A].project is None


async def test_a_longer_rate_limit_waits_when_the_other_accounts_cannot_serve(tmp_path: Path) -> None:
    sleep = RecordingSleep()
    config = three_accounts(**{A: {"burst": 1, "burst_window": 10.0}})
    async with pool_client(config, tmp_path, A, B, sleep=sleep, disabled=(B,), max_retry_delay=30.0) as (
        _,
        client,
        file,
    ):
        await client.generate(MODEL, ask())
        with pytest.raises(RateLimitError):  # waited (the recorded sleep does not), never "no account"
            await client.generate(MODEL, ask())
    assert sleep.delays and all(5 < d <= 10 for d in sleep.delays)
    assert stored(file)[A].cooldowns == {}
