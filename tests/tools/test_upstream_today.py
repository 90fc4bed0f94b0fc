"""The server against an upstream that behaves as the reference's late-2026 section says, through a
real MCP client: retired ids forwarded, notices turned into clear errors (and never stored), the
version gate and masked 429s explained, Claude's rules met, one upstream session id per conversation."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from mcp_antigravity import build_server
from mcp_antigravity.config import Settings
from mcp_antigravity.emulator import Emulator, EmulatorConfig, parse_fault, running_emulator
from mcp_antigravity.emulator.faults import fault_from_mapping
from mcp_antigravity.emulator.runner import bind_socket

from ..conftest import PROJECT, TOKEN, generations, make_settings, text_of

pytestmark = pytest.mark.anyio
Running = tuple[Emulator, str]
NO_ARGS = {"name": "clock", "description": "The time", "inputSchema": {"type": "object", "properties": {}}}


def closed_port_url() -> str:
    sock = bind_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def settings(emulator: Running, tmp_path: Path) -> Settings:
    _, url = emulator
    return make_settings(url, data_dir=tmp_path / "data")


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    async with Client(build_server(settings)) as connected:
        yield connected


async def history(client: Client, session: str) -> dict[str, Any]:
    return json.loads((await client.read_resource(f"antigravity://sessions/{session}")).contents[0].text)  # type: ignore[union-attr]


# ----------------------------------------------------------------------------- retired models


async def test_a_retired_id_is_forwarded_to_its_successor(client: Client, emulator: Running) -> None:
    instance, _ = emulator
    result = await client.call_tool("chat", {"prompt": "hi", "model": "claude-sonnet-4-5"})
    assert not result.is_error, text_of(result)
    data = result.structured_content
    assert (
        data is not None
        and data["model"] == "claude-sonnet-4-6"
        and data["requested_model"] == "claude-sonnet-4-5"
    )
    assert "[claude-sonnet-4-5 is retired upstream; claude-sonnet-4-6 answered instead.]" in text_of(result)
    assert [r["body"]["model"] for r in generations(instance)] == ["claude-sonnet-4-6"]
    assert [r["method"] for r in instance.requests][:1] == ["fetchAvailableModels"]  # read on first need
    assert (await history(client, data["session_id"]))["model"] == "claude-sonnet-4-6"


async def test_without_the_catalog_a_notice_is_an_error_and_is_not_stored(
    emulator: Running, tmp_path: Path
) -> None:
    instance, url = emulator
    settings = make_settings(url, data_dir=tmp_path, discovery_endpoints=[closed_port_url()], max_retries=0)
    async with Client(build_server(settings)) as client:
        opened = await client.call_tool("chat", {"prompt": "first", "model": "claude-sonnet-4-6"})
        session = opened.structured_content["session_id"]  # type: ignore[index]
        before = await history(client, session)
        result = await client.call_tool(
            "chat", {"prompt": "second", "session_id": session, "model": "claude-opus-4-5-thinking"}
        )
        after = await history(client, session)
    assert result.is_error
    text = text_of(result)
    assert "Model claude-opus-4-5-thinking is retired upstream" in text
    assert "Claude Opus 4.6 (Thinking)" in text and "not stored" in text
    assert after == before  # the notice never became the model's answer
    assert generations(instance)[-1]["status"] == 200  # it came as a 200


async def test_version_refusals_name_the_setting_to_raise(tmp_path: Path) -> None:
    config = EmulatorConfig(token=TOKEN, project=PROJECT, min_client_version="3.0.0")
    async with running_emulator(config) as (_, url):  # noqa: SIM117 - the server needs the URL it yields
        async with Client(build_server(make_settings(url, data_dir=tmp_path))) as client:
            result = await client.call_tool("chat", {"prompt": "hi"})
    assert result.is_error
    text = text_of(result)
    assert "This version of Antigravity is no longer supported" in text
    assert "Raise ANTIGRAVITY_CLIENT_VERSION (now 2.9.1)" in text


async def test_the_version_gate_404_is_explained_for_a_listed_model(tmp_path: Path) -> None:
    config = EmulatorConfig(token=TOKEN, project=PROJECT, hub_floor="3.0.0")
    async with running_emulator(config) as (_, url):  # noqa: SIM117 - the server needs the URL it yields
        async with Client(build_server(make_settings(url, data_dir=tmp_path))) as client:
            gated = await client.call_tool("chat", {"prompt": "hi", "model": "gemini-3.7-flash-high"})
            unknown = await client.call_tool("chat", {"prompt": "hi", "model": "gemini-0-nothing"})
    assert gated.is_error and "in the upstream's catalog for this account but answered 404" in text_of(gated)
    assert "ANTIGRAVITY_CLIENT_VERSION (now 2.9.1)" in text_of(gated)
    assert unknown.is_error and "is not available upstream (404 NOT_FOUND). Available:" in text_of(unknown)
    assert "gemini-3-flash" in text_of(unknown)


async def test_a_version_notice_as_a_503_is_recognised_too(client: Client, emulator: Running) -> None:
    instance, _ = emulator
    notice = "Your current version of Antigravity is out of date. Please visit https://antigravity.google/download."
    instance.faults.add(fault_from_mapping({"kind": "unavailable", "message": notice, "times": 0}))
    result = await client.call_tool("chat", {"prompt": "hi"})
    assert result.is_error
    assert "refuses this client version" in text_of(result) and "ANTIGRAVITY_CLIENT_VERSION" in text_of(
        result
    )


def catalog_reads(emulator: Emulator) -> int:
    return sum(1 for r in emulator.requests if r["method"] == "fetchAvailableModels")


async def test_the_catalog_is_kept_and_read_again_after_a_404(client: Client, emulator: Running) -> None:
    instance, _ = emulator
    for prompt in ("one", "two", "three"):
        assert not (await client.call_tool("chat", {"prompt": prompt})).is_error
    assert catalog_reads(instance) == 1  # kept for ANTIGRAVITY_MODEL_CATALOG_TTL
    assert (await client.call_tool("chat", {"prompt": "x", "model": "gemini-0-nothing"})).is_error
    assert not (await client.call_tool("chat", {"prompt": "four"})).is_error
    assert catalog_reads(instance) == 2  # a 404 means the catalog may have changed


# ----------------------------------------------------------------------------- 429s and capacity


async def test_a_bare_429_that_persists_is_told_as_a_possible_rejection(tmp_path: Path) -> None:
    bare = [parse_fault("rate_limit:bare=true,times=0")]
    async with (
        running_emulator(EmulatorConfig(token=TOKEN, project=PROJECT, faults=bare)) as (first, first_url),
        running_emulator(EmulatorConfig(token=TOKEN, project=PROJECT, faults=bare)) as (second, second_url),
    ):
        settings = make_settings(first_url, second_url, data_dir=tmp_path, max_retries=1)
        async with Client(build_server(settings)) as client:
            result = await client.call_tool("chat", {"prompt": "hi"})
    assert result.is_error
    text = text_of(result)
    assert "masked rejection of the request's content or of the client's identity" in text
    assert "rephrase or shorten the system instruction" in text
    assert generations(first) and generations(second)  # it tried the other host before giving up


async def test_no_capacity_anywhere_says_so(tmp_path: Path) -> None:
    busy = [parse_fault("capacity:times=0")]
    async with running_emulator(EmulatorConfig(token=TOKEN, project=PROJECT, faults=busy)) as (_, url):
        settings = make_settings(url, data_dir=tmp_path, max_retries=1)
        async with Client(build_server(settings)) as client:
            result = await client.call_tool("chat", {"prompt": "hi", "model": "claude-opus-4-6-thinking"})
    assert result.is_error and "has no capacity right now (503 MODEL_CAPACITY_EXHAUSTED)" in text_of(result)


# ----------------------------------------------------------------------------- Claude


async def test_a_claude_budget_never_passes_the_models_output_limit(
    client: Client, emulator: Running
) -> None:
    instance, _ = emulator
    result = await client.call_tool(
        "chat", {"prompt": "hi", "model": "claude-opus-4-6-thinking", "thinking": 64000}
    )
    assert not result.is_error, text_of(result)
    config = generations(instance)[-1]["body"]["request"]["generationConfig"]
    assert config["maxOutputTokens"] == 64000 and config["thinkingConfig"]["thinkingBudget"] < 64000


async def test_claude_functions_are_validated_and_never_empty(client: Client, emulator: Running) -> None:
    instance, _ = emulator
    result = await client.call_tool(
        "chat", {"prompt": "call:clock", "functions": [NO_ARGS], "model": "claude-sonnet-4-6"}
    )
    assert not result.is_error, text_of(result)
    [call] = result.structured_content["function_calls"]  # type: ignore[index]
    assert call["name"] == "clock" and call["args"] == {} and call["valid"]  # the placeholder never shows
    request = generations(instance)[-1]["body"]["request"]
    assert request["toolConfig"] == {"functionCallingConfig": {"mode": "VALIDATED"}}
    [declaration] = request["tools"][0]["functionDeclarations"]
    assert declaration["parameters"]["properties"].keys() == {"_placeholder"}
    chosen = await client.call_tool(
        "chat",
        {
            "prompt": "call:clock",
            "functions": [NO_ARGS],
            "model": "claude-sonnet-4-6",
            "function_mode": "any",
        },
    )
    assert not chosen.is_error
    assert (
        generations(instance)[-1]["body"]["request"]["toolConfig"]["functionCallingConfig"]["mode"] == "ANY"
    )
    gemini = await client.call_tool(
        "chat", {"prompt": "call:clock", "functions": [NO_ARGS], "model": "gemini-3-flash"}
    )
    assert not gemini.is_error
    gemini_request = generations(instance)[-1]["body"]["request"]
    assert (
        "toolConfig" not in gemini_request
        and "parameters" not in gemini_request["tools"][0]["functionDeclarations"][0]
    )


async def test_a_thinking_tool_loop_that_lost_its_thinking_is_closed(
    client: Client, emulator: Running
) -> None:
    instance, _ = emulator
    weather = {
        "name": "weather",
        "inputSchema": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
    asked = await client.call_tool(
        "chat", {"prompt": "call:weather", "functions": [weather], "model": "claude-sonnet-4-6"}
    )
    [call] = asked.structured_content["function_calls"]  # type: ignore[index]
    session = asked.structured_content["session_id"]  # type: ignore[index]
    # the loop continues on a model that always thinks: the call was made without thinking
    answered = await client.call_tool(
        "chat",
        {
            "session_id": session,
            "model": "claude-opus-4-6-thinking",
            "function_results": [{"id": call["id"], "name": "weather", "result": {"celsius": 21}}],
        },
    )
    assert not answered.is_error, text_of(answered)
    contents = generations(instance)[-1]["body"]["request"]["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user", "model", "user"]
    assert "functionResponse" in contents[2]["parts"][0]
    assert contents[3]["parts"] == [{"text": "[The function results above were received.]"}]
    stored = (await history(client, session))["turns"]
    assert len(stored) == 4  # the closing turns went upstream only, never into the conversation


# ----------------------------------------------------------------------------- sessionId


async def test_every_conversation_has_its_own_upstream_session_id(client: Client, emulator: Running) -> None:
    instance, _ = emulator
    first = await client.call_tool("chat", {"prompt": "one"})
    await client.call_tool("chat", {"prompt": "two", "session_id": first.structured_content["session_id"]})  # type: ignore[index]
    await client.call_tool("chat", {"prompt": "another conversation"})
    await client.call_tool("web_search", {"query": "seoul weather"})
    ids = [r["body"]["request"]["sessionId"] for r in generations(instance)]
    assert all(re.fullmatch(r"-\d+", i) for i in ids)
    assert ids[0] == ids[1] and len({ids[0], ids[2], ids[3]}) == 3


# ----------------------------------------------------------------------------- the whole picture


async def test_three_settings_alone_against_todays_upstream(tmp_path: Path) -> None:
    """Over stdio, with ANTIGRAVITY_ENDPOINTS (two hosts), _ACCESS_TOKEN and _PROJECT only."""
    bare_once = [parse_fault("rate_limit:bare=true,model=gemini-3-flash")]
    exhausted = [parse_fault("rate_limit:reason=QUOTA_EXHAUSTED,reset=2h,model=gemini-3.1-pro-low,times=0")]
    async with (
        running_emulator(EmulatorConfig(token=TOKEN, project=PROJECT, faults=bare_once + exhausted)) as (
            first,
            a,
        ),
        running_emulator(EmulatorConfig(token=TOKEN, project=PROJECT)) as (second, b),
    ):
        config = tmp_path / "config.toml"
        config.write_text("")
        params = StdioServerParameters(
            command=sys.executable,
            args=["-m", "mcp_antigravity", "serve"],
            env={
                "ANTIGRAVITY_ENDPOINTS": f"{a},{b}",
                "ANTIGRAVITY_ACCESS_TOKEN": TOKEN,
                "ANTIGRAVITY_PROJECT": PROJECT,
                "ANTIGRAVITY_CONFIG_FILE": str(config),
                "ANTIGRAVITY_DATA_DIR": str(tmp_path / "data"),
            },
        )
        async with Client(params) as client:
            forwarded = await client.call_tool("chat", {"prompt": "hi", "model": "claude-sonnet-4-5"})
            fell_over = await client.call_tool("chat", {"prompt": "again", "model": "gemini-3-flash"})
            spent = await client.call_tool("chat", {"prompt": "more", "model": "gemini-3.1-pro-low"})
            catalog = json.loads((await client.read_resource("antigravity://models")).contents[0].text)  # type: ignore[union-attr]
    # today's identity and headers
    sent = [
        r
        for r in (*first.requests, *second.requests)
        if r["method"] in ("generateContent", "streamGenerateContent")
    ]
    assert sent and all(
        re.fullmatch(r"antigravity/hub/2\.9\.1 \w+/\w+", r["headers"]["user-agent"]) for r in sent
    )
    assert not any("client-metadata" in r["headers"] or "x-goog-api-client" in r["headers"] for r in sent)
    # deprecatedModelIds followed
    assert not forwarded.is_error and forwarded.structured_content["model"] == "claude-sonnet-4-6"  # type: ignore[index]
    # a bare 429 moves to the other host ...
    assert not fell_over.is_error
    assert [r["status"] for r in generations(first) if r["body"]["model"] == "gemini-3-flash"] == [429]
    # ... quota exhaustion does not, and says when it resets
    assert spent.is_error and "used up its quota (QUOTA_EXHAUSTED). It resets in 2 h 0 min" in text_of(spent)
    assert not [r for r in generations(second) if r["body"]["model"] == "gemini-3.1-pro-low"]
    # the live catalog and its quota, shown to the client
    assert (
        catalog["source"].startswith("upstream")
        and catalog["deprecated"]["claude-sonnet-4-5"] == "claude-sonnet-4-6"
    )
    assert all("remaining_fraction" in m for m in catalog["models"])
