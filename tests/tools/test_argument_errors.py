"""A caller's argument mistakes come back as sentences that name the argument and what it must be."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client

from mcp_antigravity import build_server
from mcp_antigravity.emulator import Emulator

from ..conftest import generations, make_settings, text_of

pytestmark = pytest.mark.anyio
Running = tuple[Emulator, str]


@pytest.fixture
async def client(emulator: Running, tmp_path: Path) -> AsyncIterator[Client]:
    _, url = emulator
    async with Client(build_server(make_settings(url, data_dir=tmp_path))) as connected:
        yield connected


@pytest.mark.parametrize(
    ("tool", "arguments", "told"),
    [
        ("chat", {"prompt": "x", "temperature": 5}, "argument `temperature` must be between 0 and 2 (got 5)"),
        ("chat", {"prompt": 3}, "argument `prompt` must be a string (got 3)"),
        (
            "chat",
            {"prompt": "x", "max_output_tokens": "many"},
            "argument `max_output_tokens` must be an integer",
        ),
        (
            "chat",
            {"prompt": "x", "thinking": "loud"},
            "argument `thinking` must be one of 'off', 'low', 'medium' or 'high' or an integer (got 'loud')",
        ),
        ("image_generate", {"prompt": "x", "n": 9}, "argument `n` must be between 1 and 4 (got 9)"),
        ("image_generate", {}, "argument `prompt` is required"),
        ("web_search", {"query": ["a", "b"]}, "argument `query` must be a string (got ['a', 'b'])"),
        (
            "image_generate",
            {"prompt": "x", "images": ["a"] * 9},
            "argument `images` must be at most 8 items long",
        ),
        ("transcribe", {"audio": 5}, "argument `audio` must be a string (got 5)"),
    ],
)
async def test_argument_mistakes_are_told_plainly(
    client: Client, emulator: Running, tool: str, arguments: dict[str, Any], told: str
) -> None:
    instance, _ = emulator
    result = await client.call_tool(tool, arguments)
    assert result.is_error
    text = text_of(result)
    assert told in text and text.startswith(f"Invalid arguments for {tool}: ")
    assert "pydantic" not in text and "validation error" not in text and "type=" not in text
    assert generations(instance) == []  # nothing went upstream


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.integers(), st.floats(allow_nan=False), st.text(max_size=8), st.lists(st.integers(), max_size=3)
    )
)
async def test_any_wrong_temperature_names_the_argument(client: Client, value: Any) -> None:
    result = await client.call_tool("chat", {"prompt": "x", "temperature": value, "model": "nope-model"})
    text = text_of(result)
    if result.is_error and text.startswith("Invalid arguments"):
        assert "argument `temperature`" in text and "validation error" not in text
