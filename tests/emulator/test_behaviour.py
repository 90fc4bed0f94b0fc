"""The emulator's documented model behaviour, streaming format, fault injection and control API."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcp_antigravity.emulator import Emulator, FaultSpecError, parse_fault
from mcp_antigravity.emulator.behaviour import reply_to, stream_bodies, unary_body
from mcp_antigravity.emulator.catalog import MODELS
from mcp_antigravity.emulator.rpc import RpcError
from mcp_antigravity.emulator.validation import check_envelope

from ..conftest import PROJECT, TOKEN, UA

pytestmark = pytest.mark.anyio

HEADERS = {"Authorization": f"Bearer {TOKEN}", "User-Agent": UA}
Running = tuple[Emulator, str]


def body(text: str = "hi", model: str = "gpt-oss-120b-medium", **config: Any) -> dict[str, Any]:
    request: dict[str, Any] = {"contents": [{"role": "user", "parts": [{"text": text}]}]}
    if config:
        request["generationConfig"] = config
    return {"project": PROJECT, "model": model, "request": request, "requestId": "agent-1"}


def sse_payloads(text: str) -> list[Any]:
    return [json.loads(line[len("data: ") :]) for line in text.split("\r\n") if line.startswith("data: ")]


# ----------------------------------------------------------------------------- replies (pure)


def test_reply_echoes_the_last_user_turn_with_the_system_instruction() -> None:
    request = {
        "contents": [
            {"role": "user", "parts": [{"text": "first"}]},
            {"role": "model", "parts": [{"text": "Echo: first"}]},
            {"role": "user", "parts": [{"text": "second"}, {"text": "part"}]},
        ],
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
    }
    reply = reply_to(request, MODELS["claude-sonnet-4-6"], "r")
    assert reply.answer == "[system: Be brief.] Echo: second part"
    assert reply.prompt_tokens == 7  # first + Echo: first + second part + Be brief.
    assert reply.thought is None


def test_stop_sequences_and_max_tokens() -> None:
    model = MODELS["claude-sonnet-4-6"]
    stopped = reply_to(body("alpha beta gamma", stopSequences=["gamma"])["request"], model, "r")
    assert (stopped.answer, stopped.finish_reason) == ("Echo: alpha beta ", "STOP")
    capped = reply_to(body("alpha beta gamma", maxOutputTokens=2)["request"], model, "r")
    assert (capped.answer, capped.finish_reason) == ("Echo: alpha", "MAX_TOKENS")


def test_thoughts_only_shown_when_asked() -> None:
    model = MODELS["claude-opus-4-6-thinking"]
    hidden = reply_to(
        body("why", maxOutputTokens=2000, thinkingConfig={"thinkingBudget": 1024})["request"], model, "r"
    )
    shown = reply_to(
        body("why", maxOutputTokens=2000, thinkingConfig={"thinkingBudget": 1024, "includeThoughts": True})[
            "request"
        ],
        model,
        "r",
    )
    assert unary_body(hidden, "t")["response"]["candidates"][0]["content"]["parts"] == [{"text": "Echo: why"}]
    parts = unary_body(shown, "t")["response"]["candidates"][0]["content"]["parts"]
    assert parts == [{"thought": True, "text": "Thinking about: why"}, {"text": "Echo: why"}]
    assert unary_body(shown, "t")["response"]["usageMetadata"]["thoughtsTokenCount"] == 3


def test_claude_thinks_only_with_a_budget_unless_it_always_thinks() -> None:
    plain = reply_to(body("x")["request"], MODELS["claude-sonnet-4-6"], "r")
    budget = reply_to(
        body("x", thinkingConfig={"thinkingBudget": 2048})["request"], MODELS["claude-sonnet-4-6"], "r"
    )
    always = reply_to(body("x")["request"], MODELS["claude-opus-4-6-thinking"], "r")
    assert plain.thought is None and "thoughtsTokenCount" not in plain.usage
    assert budget.thought is not None and always.thought is not None


@pytest.mark.parametrize(
    ("model", "pattern"),
    [
        ("claude-sonnet-4-6", r"msg_vrtx_[A-Za-z0-9]{24}"),
        ("gemini-3-flash", r"[A-Za-z0-9_-]{23}"),
        ("gpt-oss-120b-medium", r"[A-Za-z0-9_-]{23}"),
    ],
)
def test_response_id_format_per_family(model: str, pattern: str) -> None:
    reply = reply_to(body()["request"], MODELS[model], "agent-1")
    assert re.fullmatch(pattern, reply.response_id)
    assert reply_to(body()["request"], MODELS[model], "agent-2").response_id != reply.response_id


@given(st.text(max_size=80), st.integers(1, 6))
def test_stream_chunks_concatenate_to_the_unary_answer(text: str, chunk_words: int) -> None:
    reply = reply_to(body(text)["request"], MODELS["gemini-3-flash"], "r")
    chunks = stream_bodies(reply, "t", chunk_words)
    texts = [
        p["text"]
        for c in chunks
        for p in c["response"]["candidates"][0]["content"]["parts"]
        if not p.get("thought")
    ]
    assert (
        "".join(texts) == unary_body(reply, "t")["response"]["candidates"][0]["content"]["parts"][-1]["text"]
    )
    assert [("usageMetadata" in c["response"]) for c in chunks] == [False] * (len(chunks) - 1) + [True]
    assert [("finishReason" in c["response"]["candidates"][0]) for c in chunks][-1]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "contents",
                    "parts",
                    "text",
                    "role",
                    "model",
                    "project",
                    "request",
                    "tools",
                    "functionDeclarations",
                    "parameters",
                    "type",
                    "properties",
                    "generationConfig",
                    "x",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=15,
)


@given(json_values)
def test_validation_answers_any_json_with_an_rpc_error_or_success(payload: Any) -> None:
    outcome: RpcError | None = None
    try:
        check_envelope(payload, frozenset({PROJECT}))
    except RpcError as error:  # any other exception fails the test
        outcome = error
    if outcome is not None:
        assert outcome.status in (400, 403, 404)
        assert outcome.message


# ----------------------------------------------------------------------------- HTTP surface


async def test_sse_stream_format(emulator: Running, http: httpx2.AsyncClient) -> None:
    _, url = emulator
    response = await http.post(
        f"{url}/v1internal:streamGenerateContent?alt=sse", json=body("a b c d e f"), headers=HEADERS
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["x-cloudaicompanion-trace-id"]
    payloads = sse_payloads(response.text)
    assert len(payloads) == 2 and all(p["traceId"] == payloads[0]["traceId"] for p in payloads)
    assert payloads[-1]["response"]["candidates"][0]["finishReason"] == "STOP"


async def test_stream_without_alt_sse_is_a_json_array(emulator: Running, http: httpx2.AsyncClient) -> None:
    _, url = emulator
    response = await http.post(
        f"{url}/v1internal:streamGenerateContent", json=body("a b c d e f"), headers=HEADERS
    )
    assert response.headers["content-type"] == "application/json"
    assert isinstance(response.json(), list) and len(response.json()) == 2


async def test_per_request_fault_header(emulator: Running, http: httpx2.AsyncClient) -> None:
    instance, url = emulator
    faulty = {**HEADERS, "X-Emulator-Fault": "rate_limit:retry_delay=3.9s,reason=RATE_LIMIT_EXCEEDED"}
    response = await http.post(f"{url}/v1internal:generateContent", json=body(), headers=faulty)
    error = response.json()["error"]
    assert response.status_code == 429 and error["status"] == "RESOURCE_EXHAUSTED"
    assert error["details"][0] == {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "3.9s"}
    assert error["details"][1]["reason"] == "RATE_LIMIT_EXCEEDED"
    assert error["details"][1]["metadata"]["model"] == "gpt-oss-120b-medium"
    ok = await http.post(f"{url}/v1internal:generateContent", json=body(), headers=HEADERS)
    assert ok.status_code == 200  # the header applied to its own request only
    bad = await http.post(
        f"{url}/v1internal:generateContent", json=body(), headers={**HEADERS, "X-Emulator-Fault": "meteor"}
    )
    assert bad.status_code == 400 and "unknown fault kind" in bad.json()["error"]["message"]
    assert [r["fault"] for r in instance.requests] == ["rate_limit", None, None]


async def test_mid_stream_error_event(emulator: Running, http: httpx2.AsyncClient) -> None:
    _, url = emulator
    headers = {**HEADERS, "X-Emulator-Fault": "stream_error:chunks=1,status=503,wrap=true"}
    response = await http.post(
        f"{url}/v1internal:streamGenerateContent?alt=sse", json=body("a b c d e f"), headers=headers
    )
    payloads = sse_payloads(response.text)
    assert response.status_code == 200 and len(payloads) == 2
    assert payloads[1] == [
        {"error": {"code": 503, "message": "Stream failed after 1 chunk(s).", "status": "UNAVAILABLE"}}
    ]


async def test_control_api(emulator: Running, http: httpx2.AsyncClient) -> None:
    _, url = emulator
    health = (await http.get(f"{url}/_emulator/health")).json()
    assert health["status"] == "ok" and "claude-sonnet-4-6" in health["models"]
    added = await http.post(
        f"{url}/_emulator/faults", json={"faults": ["unavailable:after=1", {"kind": "internal"}]}
    )
    assert [f["kind"] for f in added.json()["faults"]] == ["unavailable", "internal"]
    statuses = [
        (await http.post(f"{url}/v1internal:generateContent", json=body(), headers=HEADERS)).status_code
        for _ in range(3)
    ]
    assert statuses == [500, 503, 200]  # first match wins; each fault counts its own requests
    assert len((await http.get(f"{url}/_emulator/requests")).json()["requests"]) == 3
    assert (await http.delete(f"{url}/_emulator/requests")).json() == {"requests": []}
    assert (await http.delete(f"{url}/_emulator/faults")).json() == {"faults": []}
    rejected = await http.post(
        f"{url}/_emulator/faults", json={"faults": [{"kind": "rate_limit", "volume": 11}]}
    )
    assert rejected.status_code == 400 and "unknown option 'volume'" in rejected.json()["error"]


async def test_request_log_never_keeps_the_token(emulator: Running, http: httpx2.AsyncClient) -> None:
    instance, url = emulator
    await http.post(f"{url}/v1internal:generateContent", json=body(), headers=HEADERS)
    assert TOKEN not in json.dumps(list(instance.requests))


async def test_discovery_endpoints_are_strict(emulator: Running, http: httpx2.AsyncClient) -> None:
    _, url = emulator
    loaded = await http.post(
        f"{url}/v1internal:loadCodeAssist", json={"metadata": {"pluginType": "GEMINI"}}, headers=HEADERS
    )
    assert loaded.json()["cloudaicompanionProject"] == PROJECT
    unknown = await http.post(
        f"{url}/v1internal:loadCodeAssist", json={"metadata": {}, "tier": "x"}, headers=HEADERS
    )
    assert unknown.status_code == 400 and 'Unknown name "tier"' in unknown.json()["error"]["message"]
    onboard = await http.post(
        f"{url}/v1internal:onboardUser", json={"tierId": "gold", "metadata": {}}, headers=HEADERS
    )
    assert onboard.status_code == 400 and "Invalid tier id" in onboard.json()["error"]["message"]
    models = await http.post(
        f"{url}/v1internal:fetchAvailableModels", json={"project": PROJECT}, headers=HEADERS
    )
    assert set(models.json()["models"]) >= set(MODELS)
    foreign = await http.post(
        f"{url}/v1internal:fetchAvailableModels", json={"project": "x"}, headers=HEADERS
    )
    assert foreign.status_code == 403
    no_auth = await http.post(f"{url}/v1internal:loadCodeAssist", json={"metadata": {}})
    assert no_auth.status_code == 401


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("earthquake", "unknown fault kind"),
        ("rate_limit:after", "is not key=value"),
        ("rate_limit:after=soon", "after='soon' is not a valid value"),
        ("slow:speed=1", "unknown option 'speed'"),
    ],
)
def test_fault_specs_are_checked(spec: str, message: str) -> None:
    with pytest.raises(FaultSpecError, match=message):
        parse_fault(spec)


def test_fault_spec_values() -> None:
    fault = parse_fault("rate_limit:after=2,times=0,retry_delay=3.9s,bare=true,model=gemini-3-flash")
    assert (fault.after, fault.times, fault.retry_delay, fault.bare, fault.model) == (
        2,
        0,
        "3.9s",
        True,
        "gemini-3-flash",
    )


# ----------------------------------------------------------------------------- tool use (pure)

WEATHER = {
    "name": "get_weather",
    "parameters": {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "units": {"type": "string", "enum": ["c", "f"]},
            "days": {"type": "integer", "description": "(minimum 3)"},
            "when": {"type": "string", "description": "(format: date)"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "level": {"type": "integer", "description": "(one of: 7, 8)"},
            "code": {"type": "string", "description": "(at least 4 characters)"},
            "extra": {"type": "string", "description": "(a JSON object written as a string)"},
        },
    },
}
TIME = {"name": "get_time"}


def tool_request(text: str, *declarations: dict[str, Any], mode: str | None = None) -> dict[str, Any]:
    request: dict[str, Any] = {
        "contents": [{"role": "user", "parts": [{"text": text}]}],
        "tools": [{"functionDeclarations": list(declarations)}],
    }
    if mode:
        request["toolConfig"] = {"functionCallingConfig": {"mode": mode}}
    return request


def test_trigger_calls_the_named_function_with_generated_args() -> None:
    reply = reply_to(tool_request("please call:get_weather", WEATHER, TIME), MODELS["claude-sonnet-4-6"], "r")
    assert reply.finish_reason == "OTHER" and reply.answer == ""
    [part] = reply.calls
    call = part["functionCall"]
    assert call["name"] == "get_weather" and re.fullmatch(r"toolu_vrtx_[A-Za-z0-9]{24}", call["id"])
    assert call["args"] == {
        "city": "example",
        "units": "c",
        "days": 3,
        "when": "2026-01-01",
        "tags": ["example"],
        "level": 7,
        "code": "xxxx",
        "extra": "{}",
    }


def test_star_calls_every_function_and_gemini_gives_no_ids() -> None:
    reply = reply_to(tool_request("call:*", WEATHER, TIME), MODELS["gemini-3-flash"], "r")
    assert reply.finish_reason == "STOP"
    assert [p["functionCall"]["name"] for p in reply.calls] == ["get_weather", "get_time"]
    assert all("id" not in p["functionCall"] for p in reply.calls)
    assert reply.calls[1]["functionCall"]["args"] == {}


@pytest.mark.parametrize(
    ("text", "mode", "called"),
    [
        ("no trigger", None, []),
        ("no trigger", "ANY", ["get_weather"]),
        ("call:get_time", "NONE", []),
        ("call:nope", None, []),
    ],
)
def test_function_calling_modes(text: str, mode: str | None, called: list[str]) -> None:
    reply = reply_to(tool_request(text, WEATHER, TIME, mode=mode), MODELS["gpt-oss-120b-medium"], "r")
    assert [p["functionCall"]["name"] for p in reply.calls] == called


def test_structured_output_follows_the_schema() -> None:
    config = {
        "responseMimeType": "application/json",
        "responseSchema": {
            "type": "OBJECT",
            "properties": {
                "name": {"type": "STRING"},
                "score": {"type": "NUMBER"},
                "ok": {"type": "BOOLEAN"},
                "kind": {"type": "STRING", "enum": ["a", "b"]},
            },
        },
    }
    reply = reply_to(body("anything", **config)["request"], MODELS["gpt-oss-120b-medium"], "r")
    assert json.loads(reply.answer) == {"name": "example", "score": 1.5, "ok": True, "kind": "a"}
    enum_reply = reply_to(
        body("x", responseMimeType="text/x.enum", responseSchema={"type": "STRING", "enum": ["z"]})[
            "request"
        ],
        MODELS["gpt-oss-120b-medium"],
        "r",
    )
    assert enum_reply.answer == "z"


def test_stream_sends_function_calls_in_the_last_chunk() -> None:
    reply = reply_to(tool_request("call:get_time", TIME), MODELS["claude-sonnet-4-6"], "r")
    [chunk] = stream_bodies(reply, "t", 4)
    assert chunk["response"]["candidates"][0]["content"]["parts"] == reply.calls
