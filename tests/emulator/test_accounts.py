"""The emulator's accounts: tokens, emails, projects, quota windows, bursts, verification, suspension."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from mcp_antigravity.emulator import running_emulator
from mcp_antigravity.emulator.accounts import (
    SUSPENDED,
    VERIFY_URL,
    EmulatedAccount,
    go_duration,
    parse_account,
)
from mcp_antigravity.emulator.app import EmulatorConfig

from ..conftest import PROJECT, TOKEN, UA

pytestmark = pytest.mark.anyio
A, B = "a@example.com", "b@example.com"
MODEL = "gemini-3-flash"


def config(**b: Any) -> EmulatorConfig:
    return EmulatorConfig(
        token=TOKEN, project=PROJECT, email=A, accounts=[EmulatedAccount(B, "tok-b", "rt-b", "proj-b", **b)]
    )


def envelope(project: str, model: str = MODEL, **request: Any) -> dict[str, Any]:
    return {
        "project": project,
        "model": model,
        "request": {"contents": [{"role": "user", "parts": [{"text": "hi"}]}], **request},
        "userAgent": "antigravity",
        "requestType": "agent",
        "requestId": "agent-test",
    }


async def post(http: httpx2.AsyncClient, url: str, method: str, body: Any, token: str) -> httpx2.Response:
    headers = {"Authorization": f"Bearer {token}", "User-Agent": UA}
    return await http.post(f"{url}/v1internal:{method}", json=body, headers=headers)


def reason_of(response: httpx2.Response) -> tuple[str | None, dict[str, str]]:
    for detail in response.json()["error"].get("details", []):
        if detail["@type"].endswith("ErrorInfo"):
            return detail["reason"], detail.get("metadata", {})
    return None, {}


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("email=b@x,token=t,refresh=r", "missing project"),
        ("email=b@x,token=t,refresh=r,project=p,colour=red", "unknown key"),
        ("email=b@x,token=t,refresh=r,project=p,state=asleep", "state must be"),
        ("email=b@x,token=t,refresh=r,project=p,quota=m:many", "quota is model:count"),
        ("email=b@x,token", "is not key=value"),
    ],
)
def test_bad_account_specs_say_what_is_wrong(spec: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_account(spec)


def test_an_account_spec() -> None:
    account = parse_account(
        "email=b@x,token=t,refresh=r,project=p,tier=standard-tier,quota=gemini-3-flash:5/claude-sonnet-4-6:2,"
        "window=60,burst=3,burst_window=2,state=verify"
    )
    assert account == EmulatedAccount(
        "b@x",
        "t",
        "r",
        "p",
        "standard-tier",
        {"gemini-3-flash": 5, "claude-sonnet-4-6": 2},
        60.0,
        3,
        2.0,
        "verify",
    )


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0s"), (59.6, "1m0s"), (3661, "1h1m1s"), (256527, "71h15m27s")]
)
def test_reset_delays_are_written_as_go_durations(seconds: float, text: str) -> None:
    assert go_duration(seconds) == text


async def test_each_token_is_its_account(http: httpx2.AsyncClient) -> None:
    async with running_emulator(config(tier="standard-tier")) as (instance, url):
        info = await http.get(f"{url}/oauth2/v1/userinfo", headers={"Authorization": "Bearer tok-b"})
        assert info.json()["email"] == B
        refreshed = await http.post(
            f"{url}/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": "rt-b",
                "client_id": "c",
                "client_secret": "s",
            },
        )
        issued = refreshed.json()["access_token"]
        again = await http.get(f"{url}/oauth2/v1/userinfo", headers={"Authorization": f"Bearer {issued}"})
        assert again.json()["email"] == B
        assert (await http.get(f"{url}/oauth2/v1/userinfo")).status_code == 401
        loaded = await post(http, url, "loadCodeAssist", {"metadata": {"ideType": "ANTIGRAVITY"}}, issued)
        assert loaded.json()["cloudaicompanionProject"] == "proj-b"
        assert loaded.json()["currentTier"] == {"id": "standard-tier"}
        mine = await post(http, url, "generateContent", envelope("proj-b"), issued)
        theirs = await post(http, url, "generateContent", envelope(PROJECT), issued)
    assert mine.status_code == 200 and theirs.status_code == 403
    assert [r["account"] for r in instance.requests if r["method"] == "generateContent"] == [B, B]


async def test_a_quota_window_runs_out_and_reports_its_reset(http: httpx2.AsyncClient) -> None:
    async with running_emulator(config(quota={MODEL: 2}, window=3600.0)) as (_, url):
        answers = [await post(http, url, "generateContent", envelope("proj-b"), "tok-b") for _ in range(3)]
        catalog = await post(http, url, "fetchAvailableModels", {"project": "proj-b"}, "tok-b")
        other = await post(http, url, "generateContent", envelope(PROJECT), TOKEN)  # A has its own quota
    assert [a.status_code for a in answers] == [200, 200, 429] and other.status_code == 200
    reason, metadata = reason_of(answers[2])
    assert reason == "QUOTA_EXHAUSTED" and metadata["model"] == MODEL
    assert metadata["quotaResetDelay"].startswith(("59m", "1h0m"))
    assert metadata["quotaResetTimeStamp"].endswith("Z")
    assert "Individual quota reached" in answers[2].json()["error"]["message"]
    quota = catalog.json()["models"][MODEL]["quotaInfo"]
    assert "remainingFraction" not in quota and quota["resetTime"].endswith("Z")  # 0 is left out, as proto3


async def test_a_burst_is_rate_limited_until_the_window_frees(http: httpx2.AsyncClient) -> None:
    async with running_emulator(config(burst=1, burst_window=30.0)) as (_, url):
        first = await post(http, url, "generateContent", envelope("proj-b"), "tok-b")
        second = await post(http, url, "generateContent", envelope("proj-b"), "tok-b")
    assert (first.status_code, second.status_code) == (200, 429)
    assert reason_of(second)[0] == "RATE_LIMIT_EXCEEDED"
    [delay] = [d["retryDelay"] for d in second.json()["error"]["details"] if d["@type"].endswith("RetryInfo")]
    assert 25 < float(delay.removesuffix("s")) <= 30


@pytest.mark.parametrize(
    ("state", "status", "says"), [("verify", 403, "Verify your account"), ("suspended", 403, SUSPENDED)]
)
async def test_accounts_the_upstream_holds_back(
    http: httpx2.AsyncClient, state: str, status: int, says: str
) -> None:
    async with running_emulator(config(state=state)) as (_, url):
        answer = await post(http, url, "generateContent", envelope("proj-b"), "tok-b")
    assert answer.status_code == status and says in answer.json()["error"]["message"]
    reason, metadata = reason_of(answer)
    if state == "verify":
        assert reason == "VALIDATION_REQUIRED" and metadata["validation_url"] == VERIFY_URL
    else:
        assert reason is None


async def test_a_signature_made_for_one_account_is_refused_by_another(http: httpx2.AsyncClient) -> None:
    tools = [
        {
            "functionDeclarations": [
                {"name": "clock", "parameters": {"type": "object", "properties": {"tz": {"type": "string"}}}}
            ]
        }
    ]
    ask = [{"role": "user", "parts": [{"text": "call:clock"}]}]
    async with running_emulator(config()) as (_, url):
        asked = await post(http, url, "generateContent", envelope(PROJECT, contents=ask, tools=tools), TOKEN)
        turn = asked.json()["response"]["candidates"][0]["content"]
        assert any("thoughtSignature" in p for p in turn["parts"] if "functionCall" in p)
        answer = {"role": "user", "parts": [{"functionResponse": {"name": "clock", "response": {"t": 1}}}]}
        history = [*ask, turn, answer]
        on_a = await post(
            http, url, "generateContent", envelope(PROJECT, contents=history, tools=tools), TOKEN
        )
        on_b = await post(
            http, url, "generateContent", envelope("proj-b", contents=history, tools=tools), "tok-b"
        )
    assert on_a.status_code == 200
    assert on_b.status_code == 400 and "signature" in on_b.json()["error"]["message"].lower()
