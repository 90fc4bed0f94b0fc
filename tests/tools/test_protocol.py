"""What the tool list promises: annotations that say the truth, an output schema for every tool, and
the protocol's error codes for names the server does not have."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS

from mcp_antigravity import build_server

from ..conftest import make_settings

pytestmark = pytest.mark.anyio

# tool: (read only, destructive, idempotent); all reach the outside world (the upstream, the web)
TRUTH = {
    "chat": (False, True, False),  # keeps conversations; reset erases one
    "web_search": (True, None, False),  # the web changes between two searches
    "web_reader": (True, None, True),
    "vision": (True, None, True),
    "image_generate": (False, False, False),  # writes new files, never over old ones
    "transcribe": (True, None, True),
}


async def test_annotations_and_output_schemas(tmp_path: Path) -> None:
    async with Client(build_server(make_settings("http://127.0.0.1:9", data_dir=tmp_path))) as client:
        tools = (await client.list_tools()).tools
    assert sorted(t.name for t in tools) == sorted(TRUTH)
    for tool in tools:
        hints = tool.annotations
        assert hints is not None and hints.open_world_hint is True, tool.name
        assert (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint) == TRUTH[tool.name], (
            tool.name
        )
        assert tool.output_schema is not None and tool.output_schema.get("type") == "object", tool.name


async def test_unknown_tools_and_prompts_are_protocol_errors(tmp_path: Path) -> None:
    async with Client(build_server(make_settings("http://127.0.0.1:9", data_dir=tmp_path))) as client:
        with pytest.raises(MCPError) as tool:
            await client.call_tool("no_such_tool", {})
        with pytest.raises(MCPError) as prompt:
            await client.get_prompt("no_such_prompt")
    assert (
        tool.value.error.code == INVALID_PARAMS and "Unknown tool: no_such_tool" in tool.value.error.message
    )
    assert "chat" in tool.value.error.message
    assert prompt.value.error.code == INVALID_PARAMS and "Unknown prompt" in prompt.value.error.message
