"""Schema cleaning: one table row per rule, and properties over generated schemas."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcp_antigravity.conversation.arguments import restore_arguments
from mcp_antigravity.conversation.functions import upstream_parameters
from mcp_antigravity.conversation.schema import SchemaError, clean_json_schema
from mcp_antigravity.emulator.rpc import RpcError
from mcp_antigravity.emulator.validation import check_envelope

S = {"type": "string"}

RULES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "local $ref into $defs is inlined",
        {"type": "object", "properties": {"a": {"$ref": "#/$defs/A"}}, "$defs": {"A": {"type": "integer"}}},
        {"type": "object", "properties": {"a": {"type": "integer"}}},
    ),
    (
        "definitions and JSON-pointer refs",
        {
            "type": "object",
            "properties": {"a": {"$ref": "#/definitions/A"}, "b": {"$ref": "#/properties/a"}},
            "definitions": {"A": S},
        },
        {"type": "object", "properties": {"a": S, "b": S}},
    ),
    (
        "anchors resolve",
        {
            "type": "object",
            "properties": {"a": {"$ref": "#node"}, "b": {"$ref": "#old"}},
            "$defs": {"n": {"$anchor": "node", "type": "string"}, "o": {"$id": "#old", "type": "integer"}},
        },
        {"type": "object", "properties": {"a": S, "b": {"type": "integer"}}},
    ),
    (
        "keywords beside $ref override the target",
        {
            "type": "object",
            "properties": {"a": {"$ref": "#/$defs/A", "description": "mine"}},
            "$defs": {"A": {"type": "string", "description": "theirs"}},
        },
        {"type": "object", "properties": {"a": {"type": "string", "description": "mine"}}},
    ),
    (
        "recursion is cut: the last level keeps the type's own non-recursive properties",
        {
            "type": "object",
            "properties": {"n": {"$ref": "#/$defs/N"}},
            "$defs": {
                "N": {
                    "type": "object",
                    "properties": {"next": {"$ref": "#/$defs/N"}, "v": {"type": "integer"}},
                }
            },
        },
        {
            "type": "object",
            "properties": {
                "n": {
                    "type": "object",
                    "properties": {
                        "next": {
                            "type": "object",
                            "properties": {
                                "next": {
                                    "type": "object",
                                    "properties": {"v": {"type": "integer"}},
                                    "description": "(recursive N: next not described at this depth)",
                                },
                                "v": {"type": "integer"},
                            },
                        },
                        "v": {"type": "integer"},
                    },
                }
            },
        },
    ),
    (
        "const becomes a one-value enum",
        {"type": "object", "properties": {"kind": {"const": "email"}}},
        {"type": "object", "properties": {"kind": {"type": "string", "enum": ["email"]}}},
    ),
    (
        "allOf is merged",
        {
            "allOf": [
                {"type": "object", "properties": {"a": S}, "required": ["a"]},
                {"properties": {"b": S}, "required": ["b"]},
            ]
        },
        {"type": "object", "properties": {"a": S, "b": S}, "required": ["a", "b"]},
    ),
    (
        "anyOf with null becomes nullable and leaves required",
        {"type": "object", "properties": {"a": {"anyOf": [S, {"type": "null"}]}}, "required": ["a"]},
        {"type": "object", "properties": {"a": {"type": "string", "nullable": True}}},
    ),
    (
        "type list with null becomes nullable and leaves required",
        {"type": "object", "properties": {"a": {"type": ["integer", "null"]}}, "required": ["a"]},
        {"type": "object", "properties": {"a": {"type": "integer", "nullable": True}}},
    ),
    (
        "anyOf of string literals becomes one enum",
        {"type": "object", "properties": {"a": {"anyOf": [{"const": "x"}, {"const": "y"}, {"enum": ["z"]}]}}},
        {"type": "object", "properties": {"a": {"type": "string", "enum": ["x", "y", "z"]}}},
    ),
    (
        "real unions stay anyOf; oneOf reads as anyOf",
        {"type": "object", "properties": {"a": {"oneOf": [S, {"type": "integer"}]}}},
        {"type": "object", "properties": {"a": {"anyOf": [S, {"type": "integer"}]}}},
    ),
    (
        "several types become one branch each",
        {"type": "object", "properties": {"a": {"type": ["string", "array"], "items": S, "minLength": 2}}},
        {
            "type": "object",
            "properties": {
                "a": {
                    "anyOf": [
                        {"type": "string", "description": "(at least 2 characters)"},
                        {"type": "array", "items": S},
                    ]
                }
            },
        },
    ),
    (
        "metadata keywords are dropped",
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "urn:x",
            "$comment": "c",
            "title": "Root",
            "type": "object",
            "properties": {"a": S},
            "patternProperties": {"^x": S},
        },
        {"type": "object", "properties": {"a": S}},
    ),
    (
        "constraints become hints",
        {
            "type": "object",
            "properties": {
                "a": {
                    "type": "string",
                    "pattern": "^[a-z]+$",
                    "minLength": 1,
                    "maxLength": 9,
                    "format": "email",
                    "default": "x@y.z",
                    "examples": ["a@b.c"],
                    "description": "Mail",
                }
            },
        },
        {
            "type": "object",
            "properties": {
                "a": {
                    "type": "string",
                    "description": 'Mail (pattern: ^[a-z]+$; format: email; at least 1 characters; at most 9 characters; default: "x@y.z"; '
                    'e.g. "a@b.c")',
                }
            },
        },
    ),
    (
        "number bounds become hints",
        {"type": "object", "properties": {"n": {"type": "integer", "minimum": 1, "exclusiveMaximum": 10}}},
        {
            "type": "object",
            "properties": {"n": {"type": "integer", "description": "(minimum 1; less than 10)"}},
        },
    ),
    (
        "additionalProperties false becomes a hint",
        {"type": "object", "properties": {"a": S}, "additionalProperties": False},
        {"type": "object", "properties": {"a": S}, "description": "(no other properties)"},
    ),
    (
        "nested title becomes the description",
        {"type": "object", "properties": {"a": {"type": "string", "title": "Street address"}}},
        {"type": "object", "properties": {"a": {"type": "string", "description": "Street address"}}},
    ),
    (
        "a generated title repeating the name is dropped",
        {"type": "object", "properties": {"street_name": {"type": "string", "title": "Street Name"}}},
        {"type": "object", "properties": {"street_name": S}},
    ),
    (
        "required only names existing properties",
        {"type": "object", "properties": {"a": S}, "required": ["a", "ghost", "a"]},
        {"type": "object", "properties": {"a": S}, "required": ["a"]},
    ),
    (
        "array without items gets string items",
        {"type": "object", "properties": {"l": {"type": "array"}}},
        {
            "type": "object",
            "properties": {
                "l": {
                    "type": "array",
                    "items": S,
                    "description": "(items may be any value, written as strings)",
                }
            },
        },
    ),
    (
        "tuple items become anyOf",
        {"type": "object", "properties": {"p": {"type": "array", "prefixItems": [{"type": "number"}, S]}}},
        {
            "type": "object",
            "properties": {
                "p": {
                    "type": "array",
                    "items": {"anyOf": [{"type": "number"}, S]},
                    "description": "(a sequence of 2 items in this order)",
                }
            },
        },
    ),
    (
        "object without properties below the root is JSON text",
        {"type": "object", "properties": {"headers": {"type": "object", "additionalProperties": S}}},
        {
            "type": "object",
            "properties": {
                "headers": {
                    "type": "string",
                    "description": "(a JSON object written as a string, values: string)",
                }
            },
        },
    ),
    (
        "non-string enum keeps its type and lists its values",
        {"type": "object", "properties": {"n": {"enum": [1, 2, 3]}, "b": {"const": True}}},
        {
            "type": "object",
            "properties": {
                "n": {"type": "integer", "description": "(one of: 1, 2, 3)"},
                "b": {"type": "boolean", "description": "(must be true)"},
            },
        },
    ),
    (
        "property names that are keywords are data",
        {
            "type": "object",
            "properties": {"const": S, "title": S, "default": S, "pattern": S, "type": S, "$ref": S},
            "required": ["const", "$ref"],
        },
        {
            "type": "object",
            "properties": {"const": S, "title": S, "default": S, "pattern": S, "type": S, "$ref": S},
            "required": ["const", "$ref"],
        },
    ),
    (
        "boolean schemas",
        {"type": "object", "properties": {"any": True}},
        {"type": "object", "properties": {"any": {}}},
    ),
]


@pytest.mark.parametrize(("schema", "expected"), [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_cleaning_rule(schema: dict[str, Any], expected: dict[str, Any]) -> None:
    cleaned = clean_json_schema(schema)
    assert cleaned == expected
    assert clean_json_schema(cleaned) == cleaned


NOT_SCHEMAS = [
    ("a list", [1], "$"),
    ("type is a number", {"type": 5}, "$.type"),
    ("unknown type", {"type": "text"}, "$.type"),
    ("properties is a list", {"type": "object", "properties": []}, "$.properties"),
    ("required is a string", {"type": "object", "properties": {"a": S}, "required": "a"}, "$.required"),
    ("a property is a number", {"type": "object", "properties": {"a": 3}}, "$.properties.a"),
    ("dangling $ref", {"type": "object", "properties": {"a": {"$ref": "#/$defs/Nope"}}}, "$.properties.a"),
    ("anyOf is an object", {"anyOf": {}}, "$.anyOf"),
    ("enum is a string", {"enum": "a"}, "$.enum"),
    ("description is a number", {"type": "string", "description": 4}, "$.description"),
]


@pytest.mark.parametrize(("schema", "path"), [r[1:] for r in NOT_SCHEMAS], ids=[r[0] for r in NOT_SCHEMAS])
def test_input_that_is_not_a_schema_names_the_path(schema: Any, path: str) -> None:
    with pytest.raises(SchemaError) as caught:
        clean_json_schema(schema)
    assert caught.value.path == path
    assert str(caught.value).startswith(f"{path}: ")


def test_restore_arguments() -> None:
    schema = {
        "type": "object",
        "required": ["note", "headers"],
        "properties": {
            "note": {"anyOf": [S, {"type": "null"}]},
            "headers": {"type": "object", "additionalProperties": S},
            "nested": {
                "type": "array",
                "items": {"type": "object", "properties": {"meta": {"type": "object"}}},
            },
        },
    }
    args = {"headers": '{"Accept": "text/plain"}', "nested": [{"meta": '{"a": 1}'}]}
    assert restore_arguments(schema, args) == {
        "note": None,
        "headers": {"Accept": "text/plain"},
        "nested": [{"meta": {"a": 1}}],
    }


# ----------------------------------------------------------------------------- properties

KEYWORD_NAMES = ["const", "title", "default", "pattern", "type", "$ref", "properties", "items", "enum"]
names = st.one_of(st.sampled_from(KEYWORD_NAMES), st.text(min_size=1, max_size=12))
scalars = st.sampled_from(
    [
        {"type": "string"},
        {"type": "integer"},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "null"},
        {"const": "fixed"},
        {"const": 3},
        {"enum": ["a", "b", None]},
        {"enum": [1, 2]},
        {"type": ["string", "null"]},
        {"type": ["integer", "string"]},
        {"type": "string", "pattern": "^x", "minLength": 1, "format": "uri"},
        {"type": "string", "default": "d", "examples": ["e"], "title": "Nested title"},
        {},
        True,
        {"$ref": "#/$defs/Leaf"},
        {"$ref": "#/$defs/Tree"},
        {"type": "array"},
        {"type": "object"},
        {"type": "object", "additionalProperties": {"type": "integer"}},
        {"not": {"type": "string"}},
    ]
)


def _object(children: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda props, required, closed, title: {
            "type": "object",
            "properties": props,
            "required": required,
            "additionalProperties": not closed,
            **({"title": title} if title else {}),
        },
        st.dictionaries(names, children, max_size=4),
        st.lists(names, max_size=3, unique=True),  # required names are unique in valid JSON Schema
        st.booleans(),
        st.sampled_from([None, "T"]),
    )


schemas = st.recursive(
    scalars,
    lambda children: st.one_of(
        _object(children),
        st.builds(lambda items: {"type": "array", "items": items}, children),
        st.builds(lambda branches: {"anyOf": branches}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda branches: {"oneOf": branches}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda a, b: {"allOf": [a, b]}, _object(children), _object(children)),
        st.builds(lambda p: {"prefixItems": p, "type": "array"}, st.lists(children, min_size=1, max_size=2)),
    ),
    max_leaves=12,
)
DEFS = {
    "Leaf": {"type": "string", "description": "leaf"},
    "Tree": {"type": "object", "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/Tree"}}}},
}
roots = _object(schemas).map(
    lambda root: {**root, "$defs": DEFS, "$schema": "https://json-schema.org/draft/2020-12/schema"}
)


def _declared(parameters: dict[str, Any] | None) -> dict[str, Any]:
    declaration: dict[str, Any] = {"name": "f"}
    if parameters is not None:
        declaration["parameters"] = parameters
    return {
        "project": "p",
        "model": "gemini-3-flash",
        "request": {
            "contents": [{"role": "user", "parts": [{"text": "x"}]}],
            "tools": [{"functionDeclarations": [declaration]}],
        },
    }


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(roots)
def test_cleaned_schemas_are_accepted_by_the_strict_emulator(schema: dict[str, Any]) -> None:
    body = _declared(upstream_parameters(schema))
    try:
        check_envelope(body, frozenset({"p"}))
    except RpcError as error:  # pragma: no cover - the failure message is the point
        pytest.fail(f"emulator rejected the cleaned schema: {error.message}\n{body}")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(roots)
def test_cleaning_is_idempotent(schema: dict[str, Any]) -> None:
    cleaned = clean_json_schema(schema)
    assert clean_json_schema(cleaned) == cleaned


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(roots)
def test_every_property_name_is_kept(schema: dict[str, Any]) -> None:
    cleaned = clean_json_schema(schema)
    assert set(cleaned.get("properties", {})) == set(schema["properties"])
    assert set(cleaned.get("required", [])) <= set(schema["required"])
