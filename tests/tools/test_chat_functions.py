"""chat with functions and response schemas, through a real MCP client against the strict emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Literal

import pytest
from mcp import Client
from pydantic import BaseModel, Field

from mcp_antigravity import build_server
from mcp_antigravity.conversation.names import sanitize_function_name
from mcp_antigravity.conversation.schema_check import validate
from mcp_antigravity.emulator import Emulator, parse_fault

from ..conftest import generations, make_settings, text_of

pytestmark = pytest.mark.anyio

Running = tuple[Emulator, str]


class Address(BaseModel):
    street: str
    city: str = "Paris"


class CreateIssue(BaseModel):
    title: str = Field(min_length=3, description="Issue title")
    body: str | None = None
    labels: list[Literal["bug", "feature"]] = []
    assignee: Address | None = None
    priority: int = Field(default=2, ge=1, le=5)
    milestone: str | None  # required, yet may be null


ISSUE = {
    "name": "github/create issue",
    "description": "Create an issue",
    "parameters": CreateIssue.model_json_schema(),
}
MCP_TOOL = {  # exactly the shape tools/list gives
    "name": "read-file",
    "title": "Read file",
    "description": "Read a file",
    "inputSchema": {
        "type": "object",
        "properties": {"path": {"type": "string"}},
        "required": ["path"],
        "additionalProperties": False,
        "$schema": "http://json-schema.org/draft-07/schema#",
    },
    "annotations": {"readOnlyHint": True},
}


@pytest.fixture
async def client(emulator: Running) -> AsyncIterator[Client]:
    _, url = emulator
    async with Client(build_server(make_settings(url))) as connected:
        yield connected


@pytest.mark.parametrize("model", ["claude-sonnet-4-6", "gemini-3-flash"])
async def test_call_comes_back_under_the_callers_name_with_valid_args(
    client: Client, emulator: Running, model: str
) -> None:
    instance, _ = emulator
    wire = sanitize_function_name(ISSUE["name"])
    result = await client.call_tool(
        "chat", {"prompt": f"please call:{wire}", "model": model, "functions": [ISSUE, MCP_TOOL]}
    )
    assert not result.is_error, text_of(result)
    data = result.structured_content
    assert data is not None
    [call] = data["function_calls"]
    assert call["name"] == "github/create issue"
    assert call["valid"] is True and validate(ISSUE["parameters"], call["args"]) == []
    assert call["args"]["milestone"] is None  # required but nullable: left out by the model, put back as null
    assert "body" not in call["args"]  # optional and nullable: the model may leave it out
    assert "github/create issue" in text_of(result) and call["id"] in text_of(result)
    declared = instance.requests[-1]["body"]["request"]["tools"][0]["functionDeclarations"]
    assert [d["name"] for d in declared] == [wire, "read-file"]


async def test_function_results_continue_the_conversation(client: Client, emulator: Running) -> None:
    instance, _ = emulator
    first = await client.call_tool(
        "chat", {"prompt": "call:*", "functions": [ISSUE, MCP_TOOL], "model": "claude-sonnet-4-6"}
    )
    calls = first.structured_content["function_calls"]  # type: ignore[index]
    assert [c["name"] for c in calls] == ["github/create issue", "read-file"]
    results = [{"id": c["id"], "name": c["name"], "result": {"ok": c["name"]}} for c in calls]
    second = await client.call_tool("chat", {"function_results": results})
    assert not second.is_error, text_of(second)
    wire = sanitize_function_name(ISSUE["name"])
    assert text_of(second) == (
        f'Function results: {wire} -> {{"ok": "github/create issue"}}; read-file -> {{"ok": "read-file"}}'
    )
    contents = instance.requests[-1]["body"]["request"]["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    assert [p["functionResponse"]["id"] for p in contents[2]["parts"]] == [c["id"] for c in calls]
    again = await client.call_tool("chat", {"function_results": results})
    assert again.is_error and "Unknown function call id" in text_of(again)


async def test_model_without_call_ids_gets_ids_from_the_server(client: Client, emulator: Running) -> None:
    instance, _ = emulator
    first = await client.call_tool(
        "chat", {"prompt": "call:read-file", "functions": [MCP_TOOL], "model": "gemini-2.5-flash"}
    )
    [call] = first.structured_content["function_calls"]  # type: ignore[index]
    assert call["id"].startswith("call_")
    second = await client.call_tool(
        "chat", {"function_results": [{"id": call["id"], "name": "read-file", "result": "file text"}]}
    )
    assert not second.is_error, text_of(second)
    sent = instance.requests[-1]["body"]["request"]["contents"][2]["parts"][0]["functionResponse"]
    assert sent == {"name": "read-file", "response": {"result": "file text"}}  # no id: the model gave none


async def test_every_call_must_be_answered(client: Client) -> None:
    first = await client.call_tool("chat", {"prompt": "call:*", "functions": [ISSUE, MCP_TOOL]})
    calls = first.structured_content["function_calls"]  # type: ignore[index]
    partial = await client.call_tool(
        "chat", {"function_results": [{"id": calls[0]["id"], "name": calls[0]["name"], "result": 1}]}
    )
    assert partial.is_error and f"missing ids: {calls[1]['id']}" in text_of(partial)


async def test_failed_follow_up_keeps_the_waiting_turn(client: Client, emulator: Running) -> None:
    instance, _ = emulator
    first = await client.call_tool("chat", {"prompt": "call:read-file", "functions": [MCP_TOOL]})
    [call] = first.structured_content["function_calls"]  # type: ignore[index]
    results = [{"id": call["id"], "name": "read-file", "result": "x"}]
    instance.faults.add(parse_fault("validation_required"))
    failed = await client.call_tool("chat", {"function_results": results})
    assert failed.is_error and "VALIDATION_REQUIRED" in text_of(failed)
    retried = await client.call_tool("chat", {"function_results": results})
    assert not retried.is_error, text_of(retried)


async def test_mode_any_with_allowed_functions(client: Client, emulator: Running) -> None:
    instance, _ = emulator
    result = await client.call_tool(
        "chat",
        {
            "prompt": "no trigger here",
            "functions": [ISSUE, MCP_TOOL],
            "function_mode": "any",
            "allowed_functions": ["read-file"],
        },
    )
    assert [c["name"] for c in result.structured_content["function_calls"]] == ["read-file"]  # type: ignore[index]
    config = instance.requests[-1]["body"]["request"]["toolConfig"]
    assert config == {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["read-file"]}}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"functions": [MCP_TOOL, MCP_TOOL]}, "declared twice"),
        (
            {"functions": [MCP_TOOL], "allowed_functions": ["read-file"]},
            "only applies with function_mode 'any'",
        ),
        ({"functions": [MCP_TOOL], "function_mode": "any", "allowed_functions": ["nope"]}, "not given: nope"),
        ({"function_mode": "any"}, "need functions"),
        (
            {
                "functions": [
                    {"name": "f", "parameters": {"type": "object", "properties": {"a": {"type": 7}}}}
                ]
            },
            "function 'f': parameters cannot be used: $.properties.a.type",
        ),
        (
            {"response_schema": {"type": "object", "properties": 7}},
            "response_schema cannot be used: $.properties",
        ),
        (
            {"function_results": [{"id": "call_nope", "name": "f", "result": 1}]},
            "Unknown function call id 'call_nope'",
        ),
    ],
)
async def test_bad_function_input_is_explained_before_any_upstream_call(
    client: Client, emulator: Running, arguments: dict[str, Any], message: str
) -> None:
    instance, _ = emulator
    result = await client.call_tool("chat", {"prompt": "hi", **arguments})
    assert result.is_error
    assert message in text_of(result)
    assert generations(instance) == []


class Verdict(BaseModel):
    label: Literal["spam", "ham"]
    score: float = Field(ge=0, le=10)
    reasons: list[str]
    meta: dict[str, int] = {}


async def test_response_schema_returns_validated_json(client: Client, emulator: Running) -> None:
    instance, _ = emulator
    schema = Verdict.model_json_schema()
    result = await client.call_tool("chat", {"prompt": "classify this", "response_schema": schema})
    assert not result.is_error, text_of(result)
    data = result.structured_content["data"]  # type: ignore[index]
    assert Verdict.model_validate(data) and validate(schema, data) == []
    config = instance.requests[-1]["body"]["request"]["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert "$defs" not in str(config["responseSchema"]) and "const" not in config["responseSchema"]


async def test_invalid_json_from_the_model_is_a_clear_error(client: Client) -> None:
    schema = Verdict.model_json_schema()
    result = await client.call_tool(
        "chat",
        {"prompt": "x", "response_schema": schema, "max_output_tokens": 1, "model": "claude-sonnet-4-6"},
    )
    assert result.is_error
    assert "not valid JSON" in text_of(result) and "Raw answer: {" in text_of(result)


async def test_json_that_breaks_the_schema_is_a_clear_error(client: Client) -> None:
    schema = {
        "type": "object",
        "properties": {"code": {"type": "string", "pattern": "^[A-Z]{3}$"}},
        "required": ["code"],
    }
    result = await client.call_tool("chat", {"prompt": "x", "response_schema": schema})
    assert result.is_error
    assert "does not match response_schema" in text_of(result) and "'example' does not match" in text_of(
        result
    )
