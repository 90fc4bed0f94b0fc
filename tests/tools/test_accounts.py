"""Three accounts behind the MCP tools: one runs out mid-run, one must be verified, one is healthy.
The caller sees no error while an account has quota; the resources show each account's numbers."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from mcp_antigravity import build_server
from mcp_antigravity.emulator import running_emulator
from mcp_antigravity.emulator.accounts import VERIFY_URL, EmulatedAccount
from mcp_antigravity.emulator.app import EmulatorConfig

from ..conftest import A, B, C, generations, pool_settings, store_accounts, text_of, three_accounts

pytestmark = pytest.mark.anyio

MODEL = "claude-sonnet-4-6"


def config(quota_a: int) -> EmulatorConfig:
    return three_accounts(
        **{
            A: {"quota": {MODEL: quota_a}, "window": 3600.0},
            B: {"state": "verify"},
            C: {"quota": {MODEL: 1000}},
        }
    )


def settings_for(url: str, folder: Path, **extra: Any) -> Any:
    store_accounts(folder, {e: "rt-" + e[0] for e in (A, B, C)})
    return pool_settings(url, folder, **extra)


async def test_a_hundred_concurrent_calls_under_exhaustion_all_succeed(tmp_path: Path) -> None:
    async with running_emulator(config(quota_a=30)) as (instance, url):
        server = build_server(settings_for(url, tmp_path))
        results: list[Any] = []
        async with Client(server) as client:

            async def one(index: int) -> None:
                results.append(await client.call_tool("chat", {"prompt": f"call {index}", "model": MODEL}))

            async with anyio.create_task_group() as group:
                for index in range(100):
                    group.start_soon(one, index)
            after = [
                await client.call_tool("chat", {"prompt": f"after {i}", "model": MODEL}) for i in range(10)
            ]
            quota = json.loads((await client.read_resource("antigravity://quota")).contents[0].text)  # type: ignore[union-attr]
            models = json.loads((await client.read_resource("antigravity://models")).contents[0].text)  # type: ignore[union-attr]

    failures = [text_of(r) for r in [*results, *after] if r.is_error]
    assert failures == []
    served = [(r["account"], r["status"]) for r in generations(instance)]
    ok = [account for account, status in served if status == 200]
    assert ok.count(A) == 30  # all of A's quota was used, and not one call more was answered by it
    assert ok.count(B) == 0 and ok.count(C) == 80
    # once marked or cooled, an account gets no more calls: every later call went to C
    assert [account for account, _ in served[-10:]] == [C] * 10
    assert [s for a, s in served if a == A].count(429) >= 1
    assert {s for a, s in served if a == B} == {403}

    by_email = {a["email"]: a for a in quota["accounts"]}
    assert set(by_email) == {A, B, C}
    assert by_email[B]["state"] == "needs_verification" and by_email[B]["verify_url"] == VERIFY_URL
    assert by_email[A]["models"][MODEL]["remaining_fraction"] == 0.0
    assert by_email[A]["cooldowns"][MODEL]["reason"] == "quota exhausted"
    reset, until = (
        datetime.fromisoformat(t.replace("Z", "+00:00"))
        for t in (by_email[A]["models"][MODEL]["reset_time"], by_email[A]["cooldowns"][MODEL]["until"])
    )
    assert abs((reset - until).total_seconds()) <= 2  # the catalog's reset and the 429's agree
    assert by_email[C]["models"][MODEL]["remaining_fraction"] == pytest.approx(1 - ok.count(C) / 1000)
    assert "refresh_token" not in json.dumps(quota) and "rt-" not in json.dumps(quota)
    [sonnet] = [m for m in models["models"] if m["id"] == MODEL]
    assert sonnet["accounts"][A]["cooldown_reason"] == "quota exhausted"
    assert sonnet["accounts"][C]["remaining_fraction"] == pytest.approx(1 - ok.count(C) / 1000)


async def test_when_every_account_is_spent_the_caller_is_told_each_reset(tmp_path: Path) -> None:
    spent = config(quota_a=1)
    spent.accounts[2] = EmulatedAccount(C, "tok-c", "rt-c", "proj-c", quota={MODEL: 1}, window=7200.0)
    async with (
        running_emulator(spent) as (_, url),
        Client(build_server(settings_for(url, tmp_path))) as client,
    ):
        for i in range(2):
            await client.call_tool("chat", {"prompt": f"one {i}", "model": MODEL})
        failed = await client.call_tool("chat", {"prompt": "one more", "model": MODEL})
    assert failed.is_error
    message = text_of(failed)
    assert f"No account can serve {MODEL} now" in message
    assert f"{A}: quota exhausted, available again at" in message
    assert f"{C}: quota exhausted, available again at" in message
    assert f"{B}: must be verified at {VERIFY_URL}" in message
    assert "Models with quota left:" in message and "gemini-3-flash" in message
