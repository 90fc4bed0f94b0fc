"""The emulator follows the upstream of late 2026 (reference §0): client forms and floors, today's
catalog, retired ids, fetchAvailableModels, capacity and quota bodies, accepted fields, Claude rules."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest

from mcp_antigravity.emulator import Emulator, EmulatorConfig, running_emulator
from mcp_antigravity.emulator.catalog import MODELS, RETIRED

from ..conftest import PROJECT, TOKEN, UA

pytestmark = pytest.mark.anyio
Running = tuple[Emulator, str]


def envelope(model: str, request: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    return {
        "project": PROJECT,
        "model": model,
        "request": request or {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]},
        "userAgent": "antigravity",
        "requestType": "agent",
        "requestId": "agent-test",
        **fields,
    }


async def generate(http: httpx2.AsyncClient, url: str, body: Any, agent: str = UA) -> httpx2.Response:
    headers = {"Authorization": f"Bearer {TOKEN}", "User-Agent": agent}
    return await http.post(f"{url}/v1internal:generateContent", json=body, headers=headers)


@pytest.mark.parametrize(
    ("agent", "model", "status", "says"),
    [
        ("antigravity/hub/2.9.1 darwin/arm64", "gemini-3.7-flash-high", 200, None),
        (
            "antigravity/hub/2.8.0 (aidev_client; os_type=darwin; arch=arm64; cl=963137146)",
            "gemini-3-flash",
            200,
            None,
        ),
        (
            "antigravity/hub/2.2.1 linux/amd64",
            "gemini-3.7-flash-high",
            404,
            "Requested entity was not found.",
        ),
        (
            "antigravity/hub/2.2.1 linux/amd64",
            "gemini-3.8-flash-high",
            404,
            "Requested entity was not found.",
        ),
        ("antigravity/cli/1.0.3 linux/amd64", "gemini-3-flash", 200, None),
        ("antigravity/cli/1.0.3 linux/amd64", "gemini-3.7-flash-high", 404, "not found"),
        (
            "Antigravity/4.5.8 (Macintosh; Intel Mac OS X 10_15_7) Chrome/132.0.0.0 Electron/34.2.0",
            "gemini-3-flash",
            200,
            None,
        ),
        (
            "antigravity/hub/1.11.5 linux/amd64",
            "gemini-3-flash",
            400,
            "This version of Antigravity is no longer supported",
        ),
        ("antigravity/2.9.1 windows/amd64", "gemini-3-flash", 403, "does not have permission"),
        ("curl/8.5.0", "gemini-3-flash", 400, "no longer supported"),
        ("", "gemini-3-flash", 400, "no longer supported"),
    ],
)
async def test_client_forms_and_version_floors(
    emulator: Running, http: httpx2.AsyncClient, agent: str, model: str, status: int, says: str | None
) -> None:
    _, url = emulator
    response = await generate(http, url, envelope(model), agent)
    assert response.status_code == status, response.text
    if says:
        assert says in response.json()["error"]["message"]


@pytest.mark.parametrize("retired", sorted(RETIRED))
async def test_retired_ids_answer_200_with_the_notice(
    emulator: Running, http: httpx2.AsyncClient, retired: str
) -> None:
    _, url = emulator
    response = await generate(http, url, envelope(retired))
    assert response.status_code == 200
    [part] = response.json()["response"]["candidates"][0]["content"]["parts"]
    successor = MODELS[RETIRED[retired].successor].display_name
    assert part == {
        "text": f"{RETIRED[retired].display_name} is no longer available. Please switch to {successor} in the "
        "latest version of Antigravity."
    }  # and unsigned: a notice is not the model's turn


async def test_a_retired_id_streams_its_notice_too(emulator: Running, http: httpx2.AsyncClient) -> None:
    _, url = emulator
    headers = {"Authorization": f"Bearer {TOKEN}", "User-Agent": UA}
    response = await http.post(
        f"{url}/v1internal:streamGenerateContent?alt=sse", json=envelope("claude-sonnet-4-5"), headers=headers
    )
    chunks = [json.loads(line[5:]) for line in response.text.splitlines() if line.startswith("data:")]
    text = "".join(
        p.get("text", "") for c in chunks for p in c["response"]["candidates"][0]["content"]["parts"]
    )
    assert text.startswith("Claude Sonnet 4.5 is no longer available. Please switch to Claude Sonnet 4.6")


async def test_fetch_available_models_has_the_real_shape(http: httpx2.AsyncClient) -> None:
    config = EmulatorConfig(
        token=TOKEN, project=PROJECT, quota={"gemini-3-flash": 0.35, "claude-sonnet-4-6": 0.0}
    )
    async with running_emulator(config) as (_, url):
        headers = {"Authorization": f"Bearer {TOKEN}", "User-Agent": UA}
        answer = (
            await http.post(
                f"{url}/v1internal:fetchAvailableModels", json={"project": PROJECT}, headers=headers
            )
        ).json()
        set_quota = await http.post(f"{url}/_emulator/quota", json={"gpt-oss-120b-medium": 0.5})
        bad_quota = await http.post(f"{url}/_emulator/quota", json={"gpt-oss-120b-medium": 7})
    models = answer["models"]
    assert set(MODELS) <= set(models) and {"chat_20706", "chat_23310"} <= set(models)  # internal ids too
    flash = models["gemini-3-flash"]
    assert flash["displayName"] == "Gemini 3 Flash" and flash["maxOutputTokens"] == 65536
    assert flash["quotaInfo"]["remainingFraction"] == 0.35 and flash["quotaInfo"]["resetTime"].endswith("Z")
    assert (
        "remainingFraction" not in models["claude-sonnet-4-6"]["quotaInfo"]
    )  # zero is left out, as proto3 does
    assert models["gemini-pro-agent"]["displayName"] == "Gemini 3.1 Pro (High)"
    assert answer["deprecatedModelIds"]["claude-sonnet-4-5"] == {"newModelId": "claude-sonnet-4-6"}
    assert answer["deprecatedModelIds"]["gemini-3.1-pro-high"] == {"newModelId": "gemini-pro-agent"}
    assert set_quota.json()["quota"]["gpt-oss-120b-medium"] == 0.5 and bad_quota.status_code == 400


async def test_capacity_is_a_503_and_quota_exhaustion_has_the_2026_form(
    emulator: Running, http: httpx2.AsyncClient
) -> None:
    _, url = emulator
    headers = {"Authorization": f"Bearer {TOKEN}", "User-Agent": UA}
    busy = await http.post(
        f"{url}/v1internal:generateContent",
        json=envelope("claude-opus-4-6-thinking"),
        headers={**headers, "X-Emulator-Fault": "capacity"},
    )
    error = busy.json()["error"]
    assert busy.status_code == 503 and error["status"] == "UNAVAILABLE"
    assert error["message"] == "No capacity available for model claude-opus-4-6-thinking on the server"
    assert error["details"][0]["reason"] == "MODEL_CAPACITY_EXHAUSTED"
    spent = await http.post(
        f"{url}/v1internal:generateContent",
        json=envelope("gemini-3-flash"),
        headers={
            **headers,
            "X-Emulator-Fault": "rate_limit:reason=QUOTA_EXHAUSTED,reset=71h15m27s,retry_delay=256527.79s",
        },
    )
    error = spent.json()["error"]
    assert spent.status_code == 429
    assert error["message"].startswith(
        "Individual quota reached. Contact your administrator to enable overages."
    )
    metadata = error["details"][1]["metadata"]
    assert metadata["quotaResetDelay"] == "71h15m27s" and metadata["quotaResetTimeStamp"].endswith("Z")
    assert "uiMessage" in metadata and metadata["model"] == "gemini-3-flash"


async def test_the_fields_the_real_service_accepts(emulator: Running, http: httpx2.AsyncClient) -> None:
    _, url = emulator
    request = {
        "contents": [{"role": "user", "parts": [{"text": "weather in Seoul"}]}],
        "tools": [
            {
                "googleSearch": {
                    "enhancedContent": {"imageSearch": {"maxResultCount": 5}},
                    "includedDomains": ["kma.go.kr"],
                }
            }
        ],
        "toolConfig": {"includeServerSideToolInvocations": True},
    }
    response = await generate(
        http, url, envelope("gemini-3-flash", request, enabledCreditTypes=["GOOGLE_ONE_AI"])
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "declarations",
    [
        [
            {"name": "a", "parameters": {"type": "object", "properties": {"x": {"type": "string"}}}},
            {"name": "b"},
        ],
        [
            {"name": "a", "parameters": {"type": "object", "properties": {"x": {"type": "string"}}}},
            {"name": "b", "parametersJsonSchema": {"type": "object"}},
        ],
    ],
)
async def test_claude_needs_an_input_schema_for_every_function(
    emulator: Running, http: httpx2.AsyncClient, declarations: list[dict[str, Any]]
) -> None:
    _, url = emulator
    request = {
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
        "tools": [{"functionDeclarations": declarations}],
    }
    refused = await generate(http, url, envelope("claude-sonnet-4-6", request))
    assert (
        refused.status_code == 400
        and refused.json()["error"]["message"] == "tools.1.custom.input_schema: Field required"
    )
    accepted = await generate(http, url, envelope("gemini-3-flash", request))
    assert accepted.status_code == 200  # Gemini takes a function without parameters


async def test_the_updater_manifest(emulator: Running, http: httpx2.AsyncClient) -> None:
    instance, url = emulator
    response = await http.get(f"{url}/manifest/latest-arm64-mac.yml")
    assert response.status_code == 200 and f"version: {instance.config.latest_version}\n" in response.text
