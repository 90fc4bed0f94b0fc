"""Several callers on one HTTP server: each sees and touches only its own sessions, waiting
function calls and images."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp.types import ResourceLink

from ..conftest import text_of
from ..tools.test_chat import start_server

pytestmark = pytest.mark.anyio

ALICE, BOB = "alice-token-0123456789", "bob-token-0123456789ab"
CLOCK = {"name": "clock", "description": "The time", "inputSchema": {"type": "object", "properties": {}}}


@asynccontextmanager
async def as_caller(transport: str, endpoint: str, token: str) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {token}"}
    if transport == "sse":
        async with Client(sse_client(endpoint, headers=headers)) as client:
            yield client
    else:
        async with (
            httpx2.AsyncClient(headers=headers, timeout=30) as http,
            Client(streamable_http_client(endpoint, http_client=http)) as client,
        ):
            yield client


def listing(contents: Any) -> Any:
    return json.loads(contents.contents[0].text)


@pytest.mark.parametrize("transport", ["streamable-http", "sse"])
async def test_two_callers_cannot_see_or_touch_each_others_work(tmp_path: Path, transport: str) -> None:
    tokens = tmp_path / "tokens.toml"
    tokens.write_text(f'alice = "{ALICE}"\nbob = "{BOB}"\n')
    # images saved to files whatever their size (the legacy SSE client takes events up to 1 MiB)
    servers = start_server(
        transport, tmp_path, ANTIGRAVITY_HTTP_TOKENS_FILE=str(tokens), ANTIGRAVITY_INLINE_RESULT_LIMIT="1000"
    )
    endpoint = next(servers)
    try:
        async with as_caller(transport, endpoint, ALICE) as alice:
            said = await alice.call_tool(
                "chat", {"prompt": "my secret plan", "system": "alice's instructions"}
            )
            session = said.structured_content["session_id"]  # type: ignore[index]
            asked = await alice.call_tool("chat", {"prompt": "call:clock", "functions": [CLOCK]})
            [call] = asked.structured_content["function_calls"]  # type: ignore[index]
            drawn = await alice.call_tool("image_generate", {"prompt": "alice's picture"})
            [link] = [c for c in drawn.content if isinstance(c, ResourceLink)]
            alice_sessions = listing(await alice.read_resource("antigravity://sessions"))
            alice_images = listing(await alice.read_resource("antigravity://images"))

        async with as_caller(transport, endpoint, BOB) as bob:
            bob_sessions = listing(await bob.read_resource("antigravity://sessions"))
            bob_images = listing(await bob.read_resource("antigravity://images"))
            with pytest.raises(MCPError, match="Unknown session"):
                await bob.read_resource(f"antigravity://sessions/{session}")
            with pytest.raises(MCPError, match="No generated image"):
                await bob.read_resource(link.uri)
            continued = await bob.call_tool("chat", {"prompt": "and then?", "session_id": session})
            reset = await bob.call_tool("chat", {"reset": True, "session_id": session})
            answered = await bob.call_tool(
                "chat", {"function_results": [{"id": call["id"], "name": "clock", "result": "noon"}]}
            )

        async with as_caller(transport, endpoint, ALICE) as alice:  # alice's work is as she left it
            history = listing(await alice.read_resource(f"antigravity://sessions/{session}"))
            image = await alice.read_resource(link.uri)
    finally:
        servers.close()

    assert {s["id"] for s in alice_sessions["sessions"]} >= {session}
    assert [i["uri"] for i in alice_images["images"]] == [link.uri]
    assert bob_sessions == {"sessions": []} and bob_images == {"images": []}
    for refused in (continued, reset):
        assert refused.is_error and "Unknown session" in text_of(refused)
        assert "my secret plan" not in text_of(refused) and "alice" not in text_of(refused)
    assert answered.is_error and call["id"] in text_of(answered)
    assert history["system"] == "alice's instructions" and len(history["turns"]) == 2
    assert len(image.contents) == 1


def test_a_bad_tokens_file_stops_the_server_with_one_line(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.toml"
    tokens.write_text('alice = "short"\n')
    result = subprocess.run(
        [sys.executable, "-m", "mcp_antigravity", "serve", "--transport", "streamable-http", "--port", "0"],
        env={"ANTIGRAVITY_HTTP_TOKENS_FILE": str(tokens), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"{tokens}: the token of alice must be a string of at least 16 characters."
    ]
