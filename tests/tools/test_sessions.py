"""Multi-turn sessions with thought signatures, against the strict emulator, across server restarts."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from mcp_antigravity import build_server
from mcp_antigravity.config import Settings
from mcp_antigravity.conversation.signatures import SENTINEL
from mcp_antigravity.emulator import Emulator, parse_fault

from ..conftest import generations, make_settings, text_of

pytestmark = pytest.mark.anyio

Running = tuple[Emulator, str]
WEATHER = {
    "name": "weather/today",
    "description": "Weather for a city",
    "inputSchema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
CLOCK = {"name": "clock", "description": "The time", "inputSchema": {"type": "object", "properties": {}}}


@pytest.fixture
def settings(emulator: Running, tmp_path: Path) -> Settings:
    _, url = emulator
    return make_settings(url, data_dir=tmp_path / "data")


async def call(settings: Settings, arguments: dict[str, Any]) -> dict[str, Any]:
    """One chat call on a freshly started server: every call below survives a restart."""
    async with Client(build_server(settings)) as client:
        result = await client.call_tool("chat", arguments)
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    return result.structured_content


def model_turns(request: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in request["contents"] if c["role"] == "model"]


FAMILIES = [
    ("gemini-3-flash", {}),
    ("gemini-pro-agent", {"thinking": "low"}),
    ("claude-opus-4-6-thinking", {"thinking": "low", "include_thoughts": True}),
    ("claude-opus-4-6-thinking", {"thinking": 2048}),
    ("claude-sonnet-4-6", {}),
    ("gemini-2.5-flash", {"thinking": "medium", "include_thoughts": True}),
    ("gpt-oss-120b-medium", {}),
]


@pytest.mark.parametrize(("model", "options"), FAMILIES, ids=[f[0] for f in FAMILIES])
async def test_five_tool_using_turns_across_restarts(
    settings: Settings, emulator: Running, model: str, options: dict[str, Any]
) -> None:
    instance, _ = emulator
    first = await call(
        settings, {"prompt": "call:weather_today", "model": model, "functions": [WEATHER, CLOCK], **options}
    )
    session = first["session_id"]
    [weather] = first["function_calls"]
    assert weather["name"] == "weather/today" and weather["valid"]

    second = await call(
        settings,
        {
            "session_id": session,
            "function_results": [{"id": weather["id"], "name": "weather/today", "result": {"celsius": 21}}],
            **options,
        },
    )
    assert second["text"] == 'Function results: weather_today -> {"celsius": 21}'

    third = await call(settings, {"session_id": session, "prompt": "call:clock", **options})
    [clock] = third["function_calls"]
    fourth = await call(
        settings,
        {
            "session_id": session,
            "function_results": [{"id": clock["id"], "name": "clock", "result": "12:00"}],
            **options,
        },
    )
    assert fourth["text"] == 'Function results: clock -> {"result": "12:00"}'

    fifth = await call(settings, {"session_id": session, "prompt": "thanks, that is all", **options})
    assert fifth["text"] == "Echo: thanks, that is all"
    assert fifth["session_id"] == session
    if options.get("include_thoughts"):
        assert fifth["thoughts"] == ["Thinking about: thanks, that is all"]
        assert "Thinking" not in fifth["text"]

    last = instance.requests[-1]["body"]["request"]
    assert [c["role"] for c in last["contents"]] == ["user", "model"] * 4 + ["user"]
    calls = [p for turn in model_turns(last) for p in turn["parts"] if "functionCall" in p]
    assert len(calls) == 2
    if model.startswith("gemini-3") or model.endswith("-thinking"):
        # The cache hit after every restart: the real signatures went back, not the sentinel.
        assert all(p.get("thoughtSignature") not in (None, SENTINEL) for p in calls)
    assert all(r["status"] == 200 for r in instance.requests)


async def test_model_switch_drops_foreign_signatures(settings: Settings, emulator: Running) -> None:
    instance, _ = emulator
    first = await call(settings, {"prompt": "call:clock", "model": "gemini-3-flash", "functions": [CLOCK]})
    session = first["session_id"]
    [clock] = first["function_calls"]
    await call(
        settings,
        {"session_id": session, "function_results": [{"id": clock["id"], "name": "clock", "result": 1}]},
    )
    switched = await call(
        settings, {"session_id": session, "prompt": "and now?", "model": "gemini-pro-agent"}
    )
    assert switched["text"] == "Echo: and now?" and switched["model"] == "gemini-pro-agent"
    sent = model_turns(instance.requests[-1]["body"]["request"])
    assert sent[0]["parts"][0]["thoughtSignature"] == SENTINEL  # the flash signature was not sent to pro
    back = await call(
        settings,
        {
            "session_id": session,
            "prompt": "call:clock",
            "model": "claude-opus-4-6-thinking",
            "thinking": "low",
            "include_thoughts": True,
        },
    )
    assert back["function_calls"][0]["name"] == "clock"
    claude_view = model_turns(instance.requests[-1]["body"]["request"])
    assert all(
        "thoughtSignature" not in p for turn in claude_view for p in turn["parts"]
    )  # Claude needs none
    home = await call(
        settings,
        {
            "session_id": session,
            "function_results": [{"id": back["function_calls"][0]["id"], "name": "clock", "result": 2}],
            "model": "gemini-3-flash",
        },
    )
    assert home["text"].startswith("Function results: clock")
    flash_view = model_turns(instance.requests[-1]["body"]["request"])
    assert flash_view[0]["parts"][0]["thoughtSignature"] not in (None, SENTINEL)  # its own signature again
    assert flash_view[-1]["parts"][-1]["thoughtSignature"] == SENTINEL  # Claude's call, for a Gemini 3 model
    assert all(r["status"] == 200 for r in instance.requests)


async def test_concurrent_calls_on_one_session_are_serialized(settings: Settings, emulator: Running) -> None:
    instance, _ = emulator
    async with Client(build_server(settings)) as client:
        opened = await client.call_tool("chat", {"prompt": "start", "model": "claude-sonnet-4-6"})
        session = opened.structured_content["session_id"]  # type: ignore[index]
        answers: dict[int, str] = {}

        async def ask(n: int) -> None:
            result = await client.call_tool("chat", {"session_id": session, "prompt": f"message {n}"})
            answers[n] = text_of(result)

        async with anyio.create_task_group() as group:
            for n in range(6):
                group.start_soon(ask, n)
        history = json.loads(
            (await client.read_resource(f"antigravity://sessions/{session}")).contents[0].text
        )
    assert answers == {n: f"Echo: message {n}" for n in range(6)}
    texts = [t["parts"][0]["text"] for t in history["turns"]]
    assert len(texts) == 14
    for user, model in zip(texts[::2], texts[1::2], strict=True):  # every answer right after its question
        assert model == f"Echo: {user}"
    sizes = [len(r["body"]["request"]["contents"]) for r in generations(instance)]
    assert sizes == [1, 3, 5, 7, 9, 11, 13]  # each call saw every earlier turn
    # one conversation, one upstream session id, the same on every call and unlike the MCP one
    [upstream_id] = {r["body"]["request"]["sessionId"] for r in generations(instance)}
    assert upstream_id.startswith("-") and session not in upstream_id


async def test_failed_or_cancelled_calls_leave_the_session_unchanged(
    settings: Settings, emulator: Running
) -> None:
    instance, _ = emulator
    opened = await call(settings, {"prompt": "remember me", "model": "claude-sonnet-4-6"})
    session = opened["session_id"]
    async with Client(build_server(settings)) as client:
        before = (await client.read_resource(f"antigravity://sessions/{session}")).contents[0].text
        instance.faults.add(parse_fault("validation_required"))
        failed = await client.call_tool("chat", {"session_id": session, "prompt": "this fails"})
        assert failed.is_error
        instance.faults.add(parse_fault("slow:delay=60"))
        with anyio.fail_after(20), pytest.raises(Exception, match="Timed out"):
            await client.call_tool(
                "chat", {"session_id": session, "prompt": "this is cancelled"}, read_timeout_seconds=0.5
            )
        after = (await client.read_resource(f"antigravity://sessions/{session}")).contents[0].text
        assert after == before
        ok = await client.call_tool("chat", {"session_id": session, "prompt": "still here"})
    assert not ok.is_error
    assert len(instance.requests[-1]["body"]["request"]["contents"]) == 3


async def test_failed_first_call_creates_no_session(settings: Settings, emulator: Running) -> None:
    instance, _ = emulator
    instance.faults.add(parse_fault("internal:times=0"))
    async with Client(build_server(settings)) as client:
        failed = await client.call_tool("chat", {"prompt": "x", "model": "claude-sonnet-4-6"})
        listing = json.loads((await client.read_resource("antigravity://sessions")).contents[0].text)
    assert failed.is_error and listing == {"sessions": []}


async def test_refused_signatures_are_repaired_once(settings: Settings, emulator: Running) -> None:
    instance, _ = emulator
    first = await call(settings, {"prompt": "call:clock", "model": "gemini-3-flash", "functions": [CLOCK]})
    instance.signer = type(instance.signer)("a-rotated-key")  # the upstream no longer accepts old signatures
    second = await call(
        settings,
        {
            "session_id": first["session_id"],
            "function_results": [{"id": first["function_calls"][0]["id"], "name": "clock", "result": 3}],
        },
    )
    assert second["history_repaired"] is True
    assert [r["status"] for r in list(instance.requests)[-2:]] == [400, 200]
    assert (
        model_turns(instance.requests[-1]["body"]["request"])[0]["parts"][0]["thoughtSignature"] == SENTINEL
    )


async def test_reset_unknown_sessions_and_waiting_calls(settings: Settings) -> None:
    first = await call(settings, {"prompt": "call:clock", "functions": [CLOCK], "model": "claude-sonnet-4-6"})
    session = first["session_id"]
    async with Client(build_server(settings)) as client:
        blocked = await client.call_tool("chat", {"session_id": session, "prompt": "ignore the call"})
        assert blocked.is_error and "waits for the results of calls" in text_of(blocked)
        cleared = await client.call_tool("chat", {"session_id": session, "reset": True})
        assert text_of(cleared) == f"Session {session} is cleared."
        fresh = await client.call_tool("chat", {"session_id": session, "prompt": "hello again"})
        assert fresh.structured_content["text"] == "Echo: hello again"  # type: ignore[index]
        unknown = await client.call_tool("chat", {"session_id": "s_nope", "prompt": "x"})
        assert unknown.is_error and "Unknown session 's_nope'" in text_of(unknown)
        listing = json.loads((await client.read_resource("antigravity://sessions")).contents[0].text)
    assert [s["id"] for s in listing["sessions"]] == [session]
    assert listing["sessions"][0]["turns"] == 2


async def test_thinking_options_reach_the_upstream(settings: Settings, emulator: Running) -> None:
    instance, _ = emulator
    result = await call(
        settings,
        {
            "prompt": "deep question",
            "model": "claude-opus-4-6-thinking",
            "thinking": "high",
            "include_thoughts": True,
            "max_output_tokens": 1000,
        },
    )
    config = instance.requests[-1]["body"]["request"]["generationConfig"]
    assert config == {
        "maxOutputTokens": 25576,
        "thinkingConfig": {"thinkingBudget": 24576, "includeThoughts": True},
    }
    assert result["thoughts"] == ["Thinking about: deep question"]
    assert result["text"] == "Echo: deep question" and result["usage"]["thinking_tokens"] == 4
    async with Client(build_server(settings)) as client:
        refused = await client.call_tool(
            "chat", {"prompt": "x", "model": "gemini-3.1-pro-low", "thinking": "off"}
        )
    assert refused.is_error and "always thinks" in text_of(refused)


async def test_the_database_is_private(settings: Settings) -> None:
    await call(settings, {"prompt": "secret", "model": "claude-sonnet-4-6"})
    path = settings.sessions_path
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
