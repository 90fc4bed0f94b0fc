"""Malformed schemas that real MCP servers publish are repaired where the meaning is clear, and
refused with a path where it is not (reference §8, 9router#1564/#2489/#2877)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from mcp import Client
from mcp.types import TextContent

from mcp_antigravity import build_server
from mcp_antigravity.conversation.schema import SchemaError
from mcp_antigravity.conversation.schema_check import check_schema, repair_schema, validate
from mcp_antigravity.emulator import Emulator

from ..conftest import generations, make_settings
from ..unit.test_schema import roots

pytestmark = pytest.mark.anyio

REPAIRS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "draft-3 required: true",
        {
            "type": "object",
            "properties": {
                "city": {"type": "string", "required": True},
                "unit": {"type": "string", "required": False},
            },
        },
        {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string"}},
            "required": ["city"],
        },
    ),
    (
        "a property given as a type name",
        {"type": "object", "properties": {"path": "string", "options": "object"}, "required": ["path"]},
        {
            "type": "object",
            "properties": {"path": {"type": "string"}, "options": {"type": "object"}},
            "required": ["path"],
        },
    ),
    (
        "properties as a list of named schemas",
        {
            "type": "object",
            "properties": [
                {"name": "a", "type": "integer"},
                {"name": "b", "type": "string", "required": True},
            ],
        },
        {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "string"}},
            "required": ["b"],
        },
    ),
    (
        "properties as a list of names",
        {"type": "object", "properties": ["a", "b"]},
        {"type": "object", "properties": {"a": {}, "b": {}}},
    ),
    (
        "a lone required name",
        {"type": "object", "properties": {"a": {}}, "required": "a"},
        {"type": "object", "properties": {"a": {}}, "required": ["a"]},
    ),
    (
        "deep inside items and $defs",
        {
            "type": "object",
            "properties": {"list": {"type": "array", "items": {"$ref": "#/$defs/X"}}},
            "$defs": {"X": {"type": "object", "properties": {"n": "number"}}},
        },
        {
            "type": "object",
            "properties": {"list": {"type": "array", "items": {"$ref": "#/$defs/X"}}},
            "$defs": {"X": {"type": "object", "properties": {"n": {"type": "number"}}}},
        },
    ),
]


@pytest.mark.parametrize(("label", "published", "repaired"), REPAIRS, ids=[r[0] for r in REPAIRS])
def test_clear_mistakes_are_repaired(label: str, published: dict[str, Any], repaired: dict[str, Any]) -> None:
    assert repair_schema(published) == repaired
    check_schema(repaired)
    assert repair_schema(repaired) == repaired  # idempotent


@pytest.mark.parametrize(
    ("published", "path"),
    [
        ({"type": "object", "properties": {"a": "thing"}}, "$.properties.a"),
        ({"type": "object", "properties": [{"type": "string"}]}, "$.properties"),
        (
            {"type": "object", "properties": {"a": {"type": "string", "required": 1}}},
            "$.properties.a.required",
        ),
    ],
)
def test_unclear_mistakes_are_refused_with_a_path(published: dict[str, Any], path: str) -> None:
    with pytest.raises(SchemaError) as refused:
        check_schema(repair_schema(published))
    assert str(refused.value).startswith(path + ":") or refused.value.path == path, str(refused.value)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(roots)
def test_valid_schemas_are_left_as_they_are(schema: dict[str, Any]) -> None:
    assert repair_schema(schema) == schema


async def test_a_published_broken_schema_works_through_chat(
    emulator: tuple[Emulator, str], tmp_path: Any
) -> None:
    instance, url = emulator
    broken = {
        "name": "search",
        "inputSchema": {
            "type": "object",
            "properties": {"query": {"type": "string", "required": True}, "limit": "integer"},
        },
    }
    async with Client(build_server(make_settings(url, data_dir=tmp_path))) as client:
        result = await client.call_tool("chat", {"prompt": "call:search", "functions": [broken]})
        shaped = await client.call_tool(
            "chat",
            {
                "prompt": "give me json",
                "response_schema": {"type": "object", "properties": [{"name": "answer", "type": "string"}]},
            },
        )
    assert not result.is_error, "\n".join(c.text for c in result.content if isinstance(c, TextContent))
    [call] = result.structured_content["function_calls"]  # type: ignore[index]
    assert call["valid"] and "query" in call["args"]
    assert validate(repair_schema(broken["inputSchema"]), call["args"]) == []
    declared = generations(instance)[0]["body"]["request"]["tools"][0]["functionDeclarations"][0][
        "parameters"
    ]
    assert declared["required"] == ["query"] and declared["properties"]["limit"]["type"] == "integer"
    assert not shaped.is_error and shaped.structured_content["data"] == {"answer": "example"}  # type: ignore[index]
