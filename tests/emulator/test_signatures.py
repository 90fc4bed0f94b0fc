"""The emulator issues thought signatures and checks them on resubmission, as the upstream does."""

from __future__ import annotations

import copy
import json
from typing import Any

import httpx2
import pytest

from mcp_antigravity.emulator import Emulator
from mcp_antigravity.emulator.signatures import SENTINEL

from ..conftest import PROJECT, TOKEN, UA

pytestmark = pytest.mark.anyio

HEADERS = {"Authorization": f"Bearer {TOKEN}", "User-Agent": UA}
Running = tuple[Emulator, str]
TOOL = {
    "functionDeclarations": [
        {
            "name": "get_weather",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        }
    ]
}
ASK = {"role": "user", "parts": [{"text": "call:get_weather please"}]}


def envelope(model: str, contents: list[dict[str, Any]], **config: Any) -> dict[str, Any]:
    request: dict[str, Any] = {"contents": contents, "tools": [TOOL]}
    if config:
        request["generationConfig"] = config
    return {"project": PROJECT, "model": model, "request": request, "requestId": "agent-sig"}


async def generate(http: httpx2.AsyncClient, url: str, body: dict[str, Any]) -> httpx2.Response:
    return await http.post(f"{url}/v1internal:generateContent", json=body, headers=HEADERS)


async def model_turn(http: httpx2.AsyncClient, url: str, model: str, **config: Any) -> dict[str, Any]:
    response = await generate(http, url, envelope(model, [ASK], **config))
    assert response.status_code == 200, response.text
    content: dict[str, Any] = response.json()["response"]["candidates"][0]["content"]
    return content


def answer(content: dict[str, Any]) -> dict[str, Any]:
    names = [p["functionCall"]["name"] for p in content["parts"] if "functionCall" in p]
    return {
        "role": "user",
        "parts": [{"functionResponse": {"name": n, "response": {"t": 20}}} for n in names],
    }


async def resubmit(http: httpx2.AsyncClient, url: str, model: str, turn: dict[str, Any]) -> httpx2.Response:
    return await generate(http, url, envelope(model, [ASK, turn, answer(turn)]))


async def test_gemini_3_signs_the_first_function_call(emulator: Running, http: httpx2.AsyncClient) -> None:
    _, url = emulator
    turn = await model_turn(http, url, "gemini-3-flash")
    [part] = turn["parts"]
    assert "functionCall" in part and part["thoughtSignature"]
    assert (await resubmit(http, url, "gemini-3-flash", turn)).status_code == 200


async def test_gemini_3_missing_signature_is_400(emulator: Running, http: httpx2.AsyncClient) -> None:
    _, url = emulator
    turn = await model_turn(http, url, "gemini-pro-agent")
    del turn["parts"][0]["thoughtSignature"]
    response = await resubmit(http, url, "gemini-pro-agent", turn)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert (
        "Function call `get_weather` in the 2. content block is missing a `thought_signature`"
        in error["message"]
    )


async def test_the_sentinel_passes(emulator: Running, http: httpx2.AsyncClient) -> None:
    _, url = emulator
    turn = await model_turn(http, url, "gemini-3-flash")
    turn["parts"][0]["thoughtSignature"] = SENTINEL
    assert (await resubmit(http, url, "gemini-3-flash", turn)).status_code == 200


async def test_altered_part_is_400(emulator: Running, http: httpx2.AsyncClient) -> None:
    _, url = emulator
    turn = await model_turn(http, url, "gemini-3-flash")
    turn["parts"][0]["functionCall"]["args"]["city"] = "Somewhere else"
    response = await resubmit(http, url, "gemini-3-flash", turn)
    assert (
        response.status_code == 400 and "Corrupted thought signature" in response.json()["error"]["message"]
    )


async def test_signature_from_another_model_is_400(emulator: Running, http: httpx2.AsyncClient) -> None:
    _, url = emulator
    turn = await model_turn(http, url, "gemini-pro-agent")
    response = await resubmit(http, url, "gemini-3-flash", turn)
    assert response.status_code == 400
    assert "was not produced by model gemini-3-flash" in response.json()["error"]["message"]


async def test_claude_thinking_signs_thoughts_and_checks_them(
    emulator: Running, http: httpx2.AsyncClient
) -> None:
    _, url = emulator
    model = "claude-opus-4-6-thinking"
    config = {"maxOutputTokens": 4000, "thinkingConfig": {"thinkingBudget": 2000, "includeThoughts": True}}
    turn = await model_turn(http, url, model, **config)
    thought, call = turn["parts"]
    assert thought["thought"] is True and thought["thoughtSignature"]
    assert call["functionCall"]["id"].startswith("toolu_vrtx_") and call["thoughtSignature"]
    assert (await resubmit(http, url, model, turn)).status_code == 200

    altered = copy.deepcopy(turn)
    altered["parts"][0]["text"] += " (edited)"
    response = await resubmit(http, url, model, altered)
    assert (
        response.status_code == 400
        and "Invalid `signature` in `thinking` block" in response.json()["error"]["message"]
    )

    unsigned = copy.deepcopy(turn)
    del unsigned["parts"][0]["thoughtSignature"]
    response = await resubmit(http, url, model, unsigned)
    assert response.status_code == 400 and "`thinking` blocks must carry their `signature`" in response.text

    # the signed call stands for the thinking it came with ...
    signed_call_only = {"role": "model", "parts": [turn["parts"][1]]}
    assert (await resubmit(http, url, model, signed_call_only)).status_code == 200
    # ... but inside the open tool loop the thinking cannot be lost altogether ...
    call_part = {k: v for k, v in turn["parts"][1].items() if k != "thoughtSignature"}
    without_thought = {"role": "model", "parts": [call_part]}
    response = await resubmit(http, url, model, without_thought)
    assert (
        response.status_code == 400
        and "Expected `thinking` or `redacted_thinking`, but found `tool_use`" in response.text
    )
    # ... once the loop is closed (a later plain question), it can
    closed = [ASK, without_thought, answer(turn), {"role": "model", "parts": [{"text": "ok"}]}, ASK]
    assert (await generate(http, url, envelope(model, closed))).status_code == 200


async def test_gemini_3_stream_sends_the_answer_signature_in_an_empty_part(
    emulator: Running, http: httpx2.AsyncClient
) -> None:
    _, url = emulator
    body = envelope("gemini-3-flash", [{"role": "user", "parts": [{"text": "no tools needed"}]}])
    response = await http.post(f"{url}/v1internal:streamGenerateContent?alt=sse", json=body, headers=HEADERS)
    chunks = [json.loads(line[6:]) for line in response.text.split("\r\n") if line.startswith("data: ")]
    last_parts = chunks[-1]["response"]["candidates"][0]["content"]["parts"]
    assert last_parts == [{"text": "", "thoughtSignature": last_parts[0]["thoughtSignature"]}]
    assert all(
        "thoughtSignature" not in p
        for c in chunks[:-1]
        for p in c["response"]["candidates"][0]["content"]["parts"]
    )


async def test_models_that_do_not_sign(emulator: Running, http: httpx2.AsyncClient) -> None:
    _, url = emulator
    for model in ("claude-sonnet-4-6", "gpt-oss-120b-medium"):
        turn = await model_turn(http, url, model)
        assert all("thoughtSignature" not in p for p in turn["parts"])
        assert (await resubmit(http, url, model, turn)).status_code == 200
