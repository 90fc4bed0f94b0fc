"""Real tool schemas (recorded from published MCP servers, plus pydantic models and hand-written
ones) passed to chat as functions: the strict emulator accepts every request, and the model's
call comes back under the caller's own name with arguments valid under the caller's own schema."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Literal

import pytest
from mcp import Client
from pydantic import BaseModel, Field

from mcp_antigravity import build_server
from mcp_antigravity.conversation.names import sanitize_function_name
from mcp_antigravity.conversation.schema_check import validate
from mcp_antigravity.emulator import Emulator, EmulatorConfig, running_emulator

from ..conftest import PROJECT, TOKEN, make_settings

pytestmark = pytest.mark.anyio
CORPUS = Path(__file__).parent.parent / "corpus"


class Leaf(BaseModel):
    value: int


class Tree(BaseModel):
    name: str
    children: list[Tree] = []
    leaf: Leaf | None = None


class Shape(BaseModel):
    kind: Literal["circle", "square"]
    size: float = Field(gt=0)


class Everything(BaseModel):
    text: str = Field(min_length=1, description="Some text")
    maybe: int | None = None
    required_maybe: str | None
    choice: Literal["a", "b", "c"] = "a"
    number_choice: Literal[1, 2, 3]
    tree: Tree
    shapes: list[Shape]
    union: int | str | list[str]
    mapping: dict[str, float] = {}
    flag: bool = False


def pydantic_tools() -> list[dict[str, Any]]:
    return [
        {
            "name": f"pydantic_{m.__name__.lower()}",
            "description": m.__doc__ or m.__name__,
            "inputSchema": m.model_json_schema(),
        }
        for m in (Everything, Tree, Shape)
    ]


def corpus() -> list[tuple[str, dict[str, Any]]]:
    tools: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(CORPUS.glob("*.json")):
        tools.extend((f"{path.stem}:{tool['name']}", tool) for tool in json.loads(path.read_text()))
    tools.extend((f"pydantic:{tool['name']}", tool) for tool in pydantic_tools())
    return tools


TOOLS = corpus()


def test_the_corpus_is_big_enough() -> None:
    assert len(TOOLS) >= 60
    assert {label.split(":")[0] for label, _ in TOOLS} >= {
        "npm-server-everything",
        "npm-server-filesystem",
        "pypi-mcp-server-fetch",
        "pypi-mcp-server-git",
        "pydantic",
    }


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def setup() -> AsyncIterator[tuple[Emulator, Client]]:
    async with running_emulator(EmulatorConfig(token=TOKEN, project=PROJECT)) as (emulator, url):  # noqa: SIM117
        async with Client(build_server(make_settings(url))) as client:  # needs the URL the first one yields
            yield emulator, client


@pytest.mark.parametrize("tool", [t for _, t in TOOLS], ids=[label for label, _ in TOOLS])
async def test_tool_schema_round_trips(setup: tuple[Emulator, Client], tool: dict[str, Any]) -> None:
    emulator, client = setup
    wire = sanitize_function_name(tool["name"])
    result = await client.call_tool(
        "chat", {"prompt": f"call:{wire}", "functions": [tool], "model": "claude-sonnet-4-6"}
    )
    assert not result.is_error, result.content
    assert emulator.requests[-1]["status"] == 200
    data = result.structured_content
    assert data is not None
    [call] = data["function_calls"]
    assert call["name"] == tool["name"]
    assert call["valid"], call["errors"]
    assert validate(tool["inputSchema"], call["args"]) == []


async def test_all_tools_of_a_server_at_once(setup: tuple[Emulator, Client]) -> None:
    """An agent forwarding its whole tool list unchanged."""
    _, client = setup
    tools = [t for _, t in TOOLS]
    result = await client.call_tool(
        "chat", {"prompt": "call:*", "functions": tools, "model": "gemini-3-flash"}
    )
    assert not result.is_error, result.content
    calls = result.structured_content["function_calls"]  # type: ignore[index]
    assert [c["name"] for c in calls] == [t["name"] for t in tools]
    assert all(c["valid"] for c in calls), [c["errors"] for c in calls if not c["valid"]]
