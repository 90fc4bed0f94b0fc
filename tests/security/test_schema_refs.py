"""A caller's JSON Schema never makes the server open a socket or a file, and never runs away.

Remote ``$ref`` (http to the canary, file:// to a real file, a listener that never answers)
is refused with a message that says remote references are not followed, before anything
goes upstream, with zero connects and zero opens. ``$ref`` expansion bombs are refused with
bounded work, and the server keeps answering other callers.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from mcp_antigravity import build_server
from mcp_antigravity.conversation.arguments import restore_arguments
from mcp_antigravity.conversation.schema import MAX_NODES, SchemaError, _Cleaner, clean_json_schema
from mcp_antigravity.conversation.schema_check import check_schema, validate
from mcp_antigravity.emulator import Emulator

from ..conftest import generations, make_settings, text_of
from .conftest import Canary, ConnectGuard

pytestmark = pytest.mark.anyio


def remote_refs(canary: Canary, secret: Path) -> list[str]:
    return [
        f"http://127.0.0.1:{canary.port}/s.json",
        f"http://127.0.0.1:{canary.port}/s.json#/definitions/x",
        f"https://127.0.0.1:{canary.port}/s.json",
        f"http://localhost:{canary.port}/s.json",
        f"//127.0.0.1:{canary.port}/s.json",
        secret.as_uri(),
        f"file://{secret}",
        "file:///etc/passwd",
        "s.json",  # relative to a base URI: a retrieval too
        "urn:example:schema",
    ]


@pytest.fixture
async def client(emulator: tuple[Emulator, str], tmp_path: Path) -> AsyncIterator[Client]:
    _, url = emulator
    async with Client(build_server(make_settings(url, data_dir=tmp_path / "data"))) as connected:
        yield connected


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"type": "string", "description": "SECRET-CONTENT"}))
    return path


def places(ref: str) -> list[tuple[str, dict[str, Any]]]:
    """The same remote reference in a response schema and in a function's parameters."""
    schema = {"type": "object", "properties": {"a": {"$ref": ref}}, "required": ["a"]}
    return [
        ("response_schema", {"prompt": "x", "response_schema": schema}),
        ("functions", {"prompt": "call:f", "functions": [{"name": "f", "parameters": schema}]}),
        (
            "nested $defs",
            {
                "prompt": "x",
                "response_schema": {
                    "type": "object",
                    "properties": {"a": {"$ref": "#/$defs/A"}},
                    "$defs": {"A": {"type": "object", "properties": {"b": {"$ref": ref}}}},
                },
            },
        ),
    ]


async def test_remote_references_are_never_followed(
    client: Client,
    emulator: tuple[Emulator, str],
    canary: Canary,
    guard: ConnectGuard,
    secret: Path,
) -> None:
    instance, url = emulator
    upstream = int(url.rsplit(":", 1)[1])
    for ref in remote_refs(canary, secret):
        for where, arguments in places(ref):
            hits = canary.hits
            with guard.watching(), anyio.fail_after(10):  # the canary never answers: a fetch would hang
                result = await client.call_tool("chat", arguments)
            text = text_of(result)
            assert result.is_error, (ref, where, text)
            assert "remote references are not followed" in text, (ref, where, text)
            assert "SECRET-CONTENT" not in text
            assert {port for _, port, *_ in guard.connects} <= {upstream}, (
                ref,
                where,
            )  # the model catalog only
            assert str(secret) not in guard.opens and "/etc/passwd" not in guard.opens, (ref, where)
            assert canary.hits == hits
    assert generations(instance) == []  # refused before any model call


def test_the_validator_retrieves_nothing_even_for_a_schema_that_was_never_checked(
    canary: Canary, guard: ConnectGuard, secret: Path
) -> None:
    for ref in remote_refs(canary, secret):
        schema = {"type": "object", "properties": {"a": {"$ref": ref}}}
        with guard.watching():
            errors = validate(schema, {"a": "x"})
        assert errors and "remote references are not followed" in errors[0], (ref, errors)
        assert guard.connects == [] and str(secret) not in guard.opens


def test_meta_schema_references_work_offline(guard: ConnectGuard) -> None:
    schema = {"$ref": "http://json-schema.org/draft-07/schema#"}
    with guard.watching():
        check_schema(schema)
        assert validate(schema, {"type": "string"}) == []
        assert validate(schema, {"type": 5}) != []
    assert guard.connects == []


def chain(levels: int, fanout: int = 3) -> dict[str, Any]:
    """Definitions that each refer to the next ``fanout`` times: 1.7 KB at 12 levels, 3^12 nodes inlined."""
    defs: dict[str, Any] = {
        f"D{i}": {
            "type": "object",
            "properties": {f"p{j}": {"$ref": f"#/$defs/D{i + 1}"} for j in range(fanout)},
        }
        for i in range(levels)
    }
    defs[f"D{levels}"] = {"type": "string"}
    return {"type": "object", "properties": {"root": {"$ref": "#/$defs/D0"}}, "$defs": defs}


@pytest.mark.parametrize("levels", [12, 13, 20])
def test_an_expansion_bomb_is_refused_with_bounded_work(levels: int) -> None:
    bomb = chain(levels)
    assert len(json.dumps(bomb)) < 3000
    cleaner = _Cleaner(bomb)
    with pytest.raises(SchemaError, match="grows past"):
        cleaner.clean(bomb, "$", (), 0)
    assert cleaner.visited == MAX_NODES + 1
    check_schema(bomb)  # small as sent, so not refused for its size: the expansion is what is bounded
    value = {"root": {"p0": {"p1": {}}}}
    assert restore_arguments(bomb, value) == value  # bounded too; gives the value back
    assert validate(bomb, value) == []  # validation follows the value, not the expansion


def test_a_large_but_honest_schema_is_accepted() -> None:
    wide = {"type": "object", "properties": {f"field_{i}": {"type": "string"} for i in range(2000)}}
    assert len(clean_json_schema(wide)["properties"]) == 2000


async def test_bombs_are_refused_and_other_callers_keep_being_served(
    client: Client, emulator: tuple[Emulator, str]
) -> None:
    instance, _ = emulator
    bombs = [
        {"prompt": "x", "response_schema": chain(13)},
        {"prompt": "call:f", "functions": [{"name": "f", "parameters": chain(13)}]},
    ]
    answers: list[str] = []

    async def bomb(arguments: dict[str, Any]) -> None:
        result = await client.call_tool("chat", arguments)
        assert result.is_error and "grows past" in text_of(result), text_of(result)

    async def honest(number: int) -> None:
        result = await client.call_tool("chat", {"prompt": f"hello {number}"})
        assert not result.is_error, text_of(result)
        answers.append(text_of(result))

    with anyio.fail_after(60):  # before the fix, 13 levels never finished
        async with anyio.create_task_group() as group:
            for arguments in bombs * 3:
                group.start_soon(bomb, arguments)
            for number in range(5):
                group.start_soon(honest, number)
    assert sorted(answers) == sorted(f"Echo: hello {n}" for n in range(5))
    assert all(r["status"] == 200 for r in instance.requests) and len(generations(instance)) == 5
