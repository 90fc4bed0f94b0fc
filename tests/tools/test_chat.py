"""The chat tool through a real MCP client: in memory (both protocol eras), over stdio and HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client, StdioServerParameters
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

from mcp_antigravity import build_server
from mcp_antigravity.antigravity.wire import GenerateContentResponse
from mcp_antigravity.emulator import Emulator, parse_fault
from mcp_antigravity.server.tools.common import Progress

from ..conftest import PROJECT, TOKEN, generations, make_settings, text_of

pytestmark = pytest.mark.anyio

Running = tuple[Emulator, str]


@pytest.fixture(params=["auto", "legacy"])
async def mcp_client(request: pytest.FixtureRequest, emulator: Running) -> AsyncIterator[Client]:
    _, url = emulator
    server = build_server(make_settings(url, default_model="gemini-3-flash"))
    async with Client(server, mode=request.param) as client:
        yield client


async def test_tool_is_listed_with_schema_and_annotations(mcp_client: Client) -> None:
    tools = {t.name: t for t in (await mcp_client.list_tools()).tools}
    chat = tools["chat"]
    assert chat.title == "Chat with a model"
    assert chat.description is not None
    assert chat.description.startswith("Ask a Claude, Gemini or GPT-OSS model")
    assert "\n    " not in chat.description  # dedented for clients that show it
    hints = chat.annotations
    assert hints is not None and hints.open_world_hint  # it keeps sessions, and reset erases one
    assert hints.read_only_hint is False and hints.destructive_hint is True
    assert "required" not in chat.input_schema  # prompt is optional when answering function calls
    assert set(chat.input_schema["properties"]) == {
        "prompt",
        "model",
        "system",
        "temperature",
        "max_output_tokens",
        "stop",
        "functions",
        "function_mode",
        "allowed_functions",
        "function_results",
        "response_schema",
        "session_id",
        "reset",
        "thinking",
        "include_thoughts",
    }
    assert chat.output_schema is not None and "usage" in chat.output_schema["properties"]


async def test_chat_returns_text_and_structured_content(mcp_client: Client, emulator: Running) -> None:
    instance, _ = emulator
    result = await mcp_client.call_tool(
        "chat",
        {
            "prompt": "What is MCP?",
            "model": "claude-sonnet-4-6",
            "system": "Be brief.",
            "temperature": 0.2,
            "max_output_tokens": 100,
            "stop": ["XYZ"],
        },
    )
    assert not result.is_error, text_of(result)
    assert text_of(result) == "[system: Be brief.] Echo: What is MCP?"
    data = result.structured_content
    assert data is not None
    assert data["model"] == "claude-sonnet-4-6" and data["finish_reason"] == "STOP"
    assert data["response_id"].startswith("msg_vrtx_") and data["trace_id"]
    assert data["usage"] == {"prompt_tokens": 5, "output_tokens": 7, "thinking_tokens": 0, "total_tokens": 12}
    request = instance.requests[-1]["body"]["request"]
    assert request["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert request["generationConfig"] == {
        "temperature": 0.2,
        "maxOutputTokens": 100,
        "stopSequences": ["XYZ"],
    }


async def test_default_model_and_thinking_usage(mcp_client: Client, emulator: Running) -> None:
    instance, _ = emulator
    result = await mcp_client.call_tool("chat", {"prompt": "think about it"})
    assert not result.is_error
    assert instance.requests[-1]["body"]["model"] == "gemini-3-flash"
    assert (
        result.structured_content is not None and result.structured_content["usage"]["thinking_tokens"] == 5
    )


async def test_progress_reaches_the_caller_from_the_first_chunk(mcp_client: Client) -> None:
    updates: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total, message))

    words = " ".join(f"w{i}" for i in range(11))  # "Echo:" + 11 words = 3 chunks of 4 words
    result = await mcp_client.call_tool(
        "chat", {"prompt": words, "model": "gpt-oss-120b-medium"}, progress_callback=on_progress
    )
    assert not result.is_error
    assert updates[0] == (1, None, f"gpt-oss-120b-medium: {len('Echo: w0 w1 w2')} characters so far")
    assert [u[0] for u in updates] == sorted({u[0] for u in updates}) and updates[-1][0] <= 3


async def test_progress_is_coalesced_to_a_few_notifications_a_second() -> None:
    sent: list[tuple[float, str | None]] = []
    now = [0.0]

    async def report(progress: float, total: float | None, message: str | None) -> None:
        sent.append((progress, message))

    on_chunk = Progress(report, "m", heartbeat=float("inf"), clock=lambda: now[0]).on_chunk
    chunk = GenerateContentResponse.model_validate(
        {"candidates": [{"content": {"role": "model", "parts": [{"text": "ab"}]}}]}
    )
    for at in (0.0, 0.1, 0.2, 0.26, 0.3, 0.6):  # chunk arrival times, in seconds
        now[0] = at
        await on_chunk(chunk)
    assert sent == [
        (1, "m: 2 characters so far"),
        (4, "m: 8 characters so far"),
        (6, "m: 12 characters so far"),
    ]


@pytest.mark.parametrize(
    ("tool", "arguments", "label"),
    [
        ("chat", {"prompt": "take your time", "model": "gemini-3-flash"}, "gemini-3-flash"),
        ("image_generate", {"prompt": "a slow lighthouse"}, "drawing"),
    ],
)
async def test_a_slow_upstream_gets_heartbeats_until_the_first_byte(
    emulator: Running, tool: str, arguments: dict[str, Any], label: str
) -> None:
    instance, url = emulator
    instance.faults.add(parse_fault("slow:delay=1.2"))  # the upstream thinks 1.2 s before its first byte
    updates: list[tuple[float, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, message))

    server = build_server(make_settings(url, progress_heartbeat=0.25))
    async with Client(server) as client:
        result = await client.call_tool(tool, arguments, progress_callback=on_progress)
    assert not result.is_error, text_of(result)
    waiting = [m for _, m in updates if m and "waiting for the upstream's answer" in m]
    assert len(waiting) >= 3 and all(m.startswith(f"{label}: ") for m in waiting)
    assert waiting[-1].endswith(" s)")
    values = [p for p, _ in updates]
    assert values == sorted(set(values))  # progress only grows


async def test_heartbeats_come_only_after_silence() -> None:
    sent: list[tuple[float, str | None]] = []
    now = [0.0]

    async def report(progress: float, total: float | None, message: str | None) -> None:
        sent.append((progress, message))

    tracker = Progress(report, "m", heartbeat=5.0, clock=lambda: now[0])
    chunk = GenerateContentResponse.model_validate(
        {"candidates": [{"content": {"role": "model", "parts": [{"text": "ab"}]}}]}
    )
    for at, event in [
        (4.9, "beat"),
        (5.0, "beat"),
        (7.0, "chunk"),
        (11.0, "beat"),
        (12.0, "beat"),
        (12.1, "beat"),
    ]:
        now[0] = at
        await (tracker.beat() if event == "beat" else tracker.on_chunk(chunk))
    assert sent == [
        (1, "m: waiting for the upstream's answer (5 s)"),
        (2, "m: 2 characters so far"),
        (3, "m: 2 characters so far, still working (12 s)"),
    ]


async def test_truncated_answer_is_flagged(mcp_client: Client) -> None:
    result = await mcp_client.call_tool(
        "chat", {"prompt": "one two three four", "max_output_tokens": 2, "model": "claude-sonnet-4-6"}
    )
    assert text_of(result) == "Echo: one\n[The answer was cut at max_output_tokens.]"
    assert (
        result.structured_content is not None and result.structured_content["finish_reason"] == "MAX_TOKENS"
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"prompt": ""}, "at least 1 character"),
        ({"prompt": "x", "temperature": 3}, "argument `temperature` must be between 0 and 2 (got 3)"),
        (
            {"prompt": "x", "max_output_tokens": 0},
            "argument `max_output_tokens` must be between 1 and 1048576 (got 0)",
        ),
        ({"prompt": "x", "stop": ["a", "b", "c", "d", "e", "f"]}, "at most 5 items"),
        ({}, "Give a prompt"),
    ],
)
async def test_invalid_arguments_are_explained(
    mcp_client: Client, emulator: Running, arguments: dict[str, Any], message: str
) -> None:
    instance, _ = emulator
    result = await mcp_client.call_tool("chat", arguments)
    assert result.is_error and message in text_of(result)
    assert generations(instance) == []


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (
            "rate_limit:retry_delay=90s,times=0",
            "Model claude-sonnet-4-6 is rate limited (RATE_LIMIT_EXCEEDED)",
        ),
        ("rate_limit:reason=QUOTA_EXHAUSTED,reset=2h5m,times=0", "It resets in 2 h 5 min"),
        ("expired_token:times=0", "Set a fresh token in ANTIGRAVITY_ACCESS_TOKEN"),
        ("validation_required:times=0", "must be verified in a browser"),
        ("internal:times=0", "The upstream failed (500 INTERNAL"),
    ],
)
async def test_upstream_errors_say_what_to_do(
    mcp_client: Client, emulator: Running, fault: str, expected: str
) -> None:
    instance, _ = emulator
    instance.faults.add(parse_fault(fault))
    result = await mcp_client.call_tool("chat", {"prompt": "hi", "model": "claude-sonnet-4-6"})
    assert result.is_error
    assert expected in text_of(result)
    assert "trace id" in text_of(result)


async def test_unknown_model_lists_known_ones(mcp_client: Client) -> None:
    result = await mcp_client.call_tool("chat", {"prompt": "hi", "model": "gpt-7"})
    assert result.is_error and "Model gpt-7 is not available upstream" in text_of(result)
    assert "claude-sonnet-4-6" in text_of(result)


async def test_missing_credentials_say_how_to_fix(emulator: Running) -> None:
    _, url = emulator
    async with Client(build_server(make_settings(url, access_token=None))) as client:
        result = await client.call_tool("chat", {"prompt": "hi"})
    assert (
        result.is_error and "ANTIGRAVITY_ACCESS_TOKEN" in text_of(result) and "--emulator" in text_of(result)
    )


async def test_cancelled_call_stops_the_upstream_request(emulator: Running) -> None:
    instance, url = emulator
    instance.faults.add(parse_fault("slow:delay=60"))
    async with Client(build_server(make_settings(url))) as client:
        with anyio.fail_after(20), pytest.raises(Exception, match="Timed out"):
            await client.call_tool("chat", {"prompt": "hi"}, read_timeout_seconds=0.5)
        with anyio.fail_after(20):  # the upstream sees the connection close, long before its 60 s answer
            await instance.client_left.wait()
        [held] = [r for r in instance.requests if r.get("fault") == "slow"]
        assert held.get("disconnected") is True
        # The server is still healthy afterwards.
        assert not (await client.call_tool("chat", {"prompt": "again"})).is_error


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prompt=st.text(min_size=1, max_size=200).filter(lambda s: s.strip()))
async def test_any_prompt_round_trips(mcp_client: Client, prompt: str) -> None:
    result = await mcp_client.call_tool("chat", {"prompt": prompt, "model": "claude-sonnet-4-6"})
    assert not result.is_error, text_of(result)
    assert text_of(result) == f"Echo: {prompt}"


# ----------------------------------------------------------------------------- real transports


def server_env(url: str) -> dict[str, str]:
    return {"ANTIGRAVITY_ENDPOINTS": url, "ANTIGRAVITY_ACCESS_TOKEN": TOKEN, "ANTIGRAVITY_PROJECT": PROJECT}


async def test_over_stdio_with_three_settings_alone(emulator: Running, tmp_path: Path) -> None:
    instance, url = emulator
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "mcp_antigravity", "serve"],
        env={
            **server_env(url),
            "XDG_CONFIG_HOME": str(tmp_path),
            "ANTIGRAVITY_DATA_DIR": str(tmp_path / "data"),
        },
    )
    async with Client(params) as client:
        updates: list[float] = []

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            updates.append(progress)

        result = await client.call_tool(
            "chat", {"prompt": "over stdio", "model": "gpt-oss-120b-medium"}, progress_callback=on_progress
        )
    assert not result.is_error and text_of(result) == "Echo: over stdio"
    assert updates == [1.0]
    assert instance.requests[-1]["body"]["project"] == PROJECT


def start_server(transport: str, tmp_path: Path, *options: str, **extra_env: str) -> Iterator[str]:
    """`mcp-antigravity serve --transport <transport> --emulator [options]` in a child process; yields
    its endpoint."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTIGRAVITY_")}
    env["XDG_CONFIG_HOME"] = str(tmp_path)
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    env.update(extra_env)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mcp_antigravity",
            "serve",
            "--transport",
            transport,
            "--port",
            "0",
            "--emulator",
            *options,
        ],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:  # the server prints its endpoint once the socket listens
        if f"{transport} endpoint on" in line:
            break
    else:
        raise AssertionError(f"server did not start (exit {process.wait()})")
    drain = threading.Thread(target=process.stderr.read, daemon=True)  # keep the pipe from filling up
    drain.start()
    try:
        yield line.rsplit(" ", 1)[-1].strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[str]:
    yield from start_server("streamable-http", tmp_path)


@pytest.fixture
def sse_server(tmp_path: Path) -> Iterator[str]:
    yield from start_server("sse", tmp_path)


async def test_over_streamable_http_with_the_in_process_emulator(http_server: str) -> None:
    async with Client(http_server, mode="legacy") as client:
        result = await client.call_tool("chat", {"prompt": "over http"})
    assert not result.is_error and text_of(result) == "Echo: over http"
    async with httpx2.AsyncClient() as http:
        response = await http.post(
            http_server, json={}, headers={"Host": "evil.example", "Content-Type": "application/json"}
        )
    assert response.status_code == 421  # DNS-rebinding protection is on for loopback


async def test_over_sse_every_connection_shares_one_client(sse_server: str) -> None:
    # The SDK runs the MCP lifespan once per SSE connection; the process-wide runtime must
    # survive one connection closing while another is open, and serve the next one.
    async with Client(sse_client(sse_server)) as first:
        async with Client(sse_client(sse_server), mode="legacy") as second:
            assert text_of(await second.call_tool("chat", {"prompt": "two"})) == "Echo: two"
        assert text_of(await first.call_tool("chat", {"prompt": "one"})) == "Echo: one"
    async with Client(sse_client(sse_server)) as third:
        assert text_of(await third.call_tool("chat", {"prompt": "three"})) == "Echo: three"


async def test_sparse_upstream_answers_still_make_a_result(tmp_path: Path) -> None:
    """An upstream answer with nothing but text and a finish reason (no ids, usage or trace)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from mcp_antigravity.emulator import serve_app

    async def sparse(request: Request) -> Response:
        chunk = {
            "response": {"candidates": [{"content": {"parts": [{"text": "bare"}]}, "finishReason": "STOP"}]}
        }
        return Response(f"data: {json.dumps(chunk)}\n\n", media_type="text/event-stream")

    app = Starlette(routes=[Route("/v1internal:streamGenerateContent", sparse, methods=["POST"])])
    async with serve_app(app) as url, Client(build_server(make_settings(url, data_dir=tmp_path))) as client:
        result = await client.call_tool("chat", {"prompt": "hi", "model": "claude-sonnet-4-6"})
    assert not result.is_error, text_of(result)
    assert text_of(result) == "bare"
    assert result.structured_content is not None
    assert result.structured_content["usage"] == {
        "prompt_tokens": 0,
        "output_tokens": 0,
        "thinking_tokens": 0,
        "total_tokens": 0,
    }
    assert "response_id" not in result.structured_content


@pytest.fixture
def tokened_server(tmp_path: Path) -> Iterator[str]:
    yield from start_server("streamable-http", tmp_path, ANTIGRAVITY_HTTP_TOKEN="let-me-in-please-0123")


async def test_http_token_is_required_when_set(tokened_server: str) -> None:
    async with httpx2.AsyncClient() as http:
        refused = await http.post(tokened_server, json={}, headers={"Content-Type": "application/json"})
        wrong = await http.post(tokened_server, json={}, headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 401 and wrong.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")
    async with (
        httpx2.AsyncClient(headers={"Authorization": "Bearer let-me-in-please-0123"}) as http,
        Client(streamable_http_client(tokened_server, http_client=http), mode="legacy") as client,
    ):
        result = await client.call_tool("chat", {"prompt": "with a token"})
    assert text_of(result) == "Echo: with a token"
