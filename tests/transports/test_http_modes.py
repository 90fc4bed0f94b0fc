"""``serve --stateless`` (replicas taking turns on one conversation) and ``serve --resumable``
(a client that lost its stream gets what it missed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client

from ..conftest import text_of
from ..tools.test_chat import start_server

pytestmark = pytest.mark.anyio

ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


async def test_stateless_replicas_share_one_conversation(tmp_path: Path) -> None:
    first = start_server("streamable-http", tmp_path, "--stateless")
    second = start_server("streamable-http", tmp_path, "--stateless")
    endpoints = [next(first), next(second)]
    progress: list[float] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append(value)

    try:
        async with Client(endpoints[0]) as a:
            opened = await a.call_tool("chat", {"prompt": "first turn", "model": "claude-sonnet-4-6"})
        session = opened.structured_content["session_id"]  # type: ignore[index]
        async with Client(endpoints[1]) as b:  # another process, same data directory
            words = " ".join(f"w{i}" for i in range(30))
            continued = await b.call_tool(
                "chat",
                {"prompt": words, "session_id": session, "model": "claude-sonnet-4-6"},
                progress_callback=on_progress,
            )
            history = json.loads(
                (await b.read_resource(f"antigravity://sessions/{session}")).contents[0].text
            )  # type: ignore[union-attr]
        async with httpx2.AsyncClient() as http:  # no MCP session is kept: nothing to resume or end
            initialized = await http.post(
                endpoints[0],
                headers=ACCEPT,
                json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": _init()},
            )
    finally:
        first.close()
        second.close()
    assert not continued.is_error, text_of(continued)
    assert [t["role"] for t in history["turns"]] == ["user", "model", "user", "model"]
    assert history["turns"][0]["parts"][0]["text"] == "first turn"
    assert progress  # progress still reaches the caller, in the POST's own stream
    assert "mcp-session-id" not in initialized.headers


async def test_a_resumable_stream_replays_what_the_client_missed(tmp_path: Path) -> None:
    servers = start_server("streamable-http", tmp_path, "--resumable")
    endpoint = next(servers)
    try:
        async with httpx2.AsyncClient(timeout=30) as http:
            opened = await http.post(
                endpoint,
                headers=ACCEPT,
                json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": _init()},
            )
            session = opened.headers["mcp-session-id"]
            headers = {**ACCEPT, "mcp-session-id": session, "mcp-protocol-version": "2025-11-25"}
            await http.post(
                endpoint, headers=headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"}
            )
            call = {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {
                    "name": "chat",
                    "arguments": {"prompt": "resume me", "model": "claude-sonnet-4-6"},
                    "_meta": {"progressToken": "p1"},
                },
            }
            async with http.stream("POST", endpoint, headers=headers, json=call) as stream:
                first = await _first_event_id(stream)  # then the connection is dropped
            replayed: list[dict[str, Any]] = []
            resume = {**headers, "Accept": "text/event-stream", "Last-Event-ID": first}
            async with http.stream("GET", endpoint, headers=resume) as again:
                async for line in again.aiter_lines():  # the stream stays open: read up to the result
                    if line.startswith("data:") and line[5:].strip():
                        replayed.append(json.loads(line[5:]))
                        if replayed[-1].get("id") == 2:
                            break
    finally:
        servers.close()
    results = [m for m in replayed if m.get("id") == 2]
    assert results and results[0]["result"]["structuredContent"]["text"] == "Echo: resume me"
    assert any(m.get("method") == "notifications/progress" for m in replayed)  # what came before it too


async def _first_event_id(stream: Any) -> str:
    async for line in stream.aiter_lines():
        if line.startswith("id:"):
            return str(line[3:].strip())
    raise AssertionError("the stream carried no event id")


def _init() -> dict[str, Any]:
    return {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "0"},
    }
