"""Every rejection rule of the emulator, over real HTTP, with the upstream's status and body shape."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from mcp_antigravity.emulator import Emulator, EmulatorConfig, running_emulator

from ..conftest import PROJECT, TOKEN, UA

pytestmark = pytest.mark.anyio


# These tests only read from the emulator, so one instance serves the whole module.
@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def emulator() -> AsyncIterator[tuple[Emulator, str]]:
    async with running_emulator(EmulatorConfig(token=TOKEN, project=PROJECT)) as running:
        yield running


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(timeout=10.0) as client:
        yield client


GOOD_HEADERS = {"Authorization": f"Bearer {TOKEN}", "User-Agent": UA, "Content-Type": "application/json"}


def envelope(request: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "project": PROJECT,
        "model": "gpt-oss-120b-medium",  # no thinking, no signatures: the rule under test alone
        "request": request
        if request is not None
        else {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]},
        "userAgent": "antigravity",
        "requestType": "agent",
        "requestId": "agent-test",
    }
    body.update(fields)
    return body


def with_function(parameters: Any, name: str = "get_weather") -> dict[str, Any]:
    return {
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
        "tools": [{"functionDeclarations": [{"name": name, "description": "d", "parameters": parameters}]}],
    }


def with_config(**config: Any) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": "hi"}]}], "generationConfig": config}


async def post(
    http: httpx2.AsyncClient,
    url: str,
    body: Any,
    *,
    headers: dict[str, str] | None = None,
    path: str = "generateContent",
) -> httpx2.Response:
    return await http.post(f"{url}/v1internal:{path}", json=body, headers=headers or GOOD_HEADERS)


def assert_rpc(response: httpx2.Response, status: int, status_name: str, message: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    error = body["error"]
    assert error["code"] == status
    assert error["status"] == status_name
    assert message in error["message"], error["message"]
    return error


# ----------------------------------------------------------------------------- accepted requests


async def test_a_valid_request_is_answered(emulator: tuple[Emulator, str], http: httpx2.AsyncClient) -> None:
    _, url = emulator
    response = await post(http, url, envelope())
    assert response.status_code == 200, response.text
    assert response.json()["response"]["candidates"][0]["content"]["parts"] == [{"text": "Echo: hi"}]


async def test_proto_field_names_are_accepted_in_both_spellings(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient
) -> None:
    _, url = emulator
    request = {
        "contents": [{"role": "user", "parts": [{"text": "a b c"}]}],
        "generation_config": {"max_output_tokens": 2},
        "system_instruction": {"parts": [{"text": "S"}]},
    }
    response = await post(http, url, envelope(request))
    assert response.status_code == 200, response.text
    assert response.json()["response"]["candidates"][0]["finishReason"] == "MAX_TOKENS"


async def test_properties_named_like_keywords_are_data(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient
) -> None:
    _, url = emulator
    names = ["const", "title", "default", "pattern", "type", "$ref", "examples"]
    parameters = {
        "type": "object",
        "title": "Root titles are fine",
        "properties": {n: {"type": "string", "description": n} for n in names},
        "required": names,
    }
    response = await post(http, url, envelope(with_function(parameters)))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("name", ["get_weather", "mcp:mongodb.query", "read-file", "_private", "a" * 64])
async def test_valid_function_names(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient, name: str
) -> None:
    _, url = emulator
    parameters = {"type": "object", "properties": {"x": {"type": "string"}}}
    response = await post(http, url, envelope(with_function(parameters, name)))
    assert response.status_code == 200, response.text


# ----------------------------------------------------------------------------- authentication and access


async def test_missing_token_is_401(emulator: tuple[Emulator, str], http: httpx2.AsyncClient) -> None:
    _, url = emulator
    response = await post(http, url, envelope(), headers={"User-Agent": UA})
    error = assert_rpc(response, 401, "UNAUTHENTICATED", "missing required authentication credential")
    assert error["details"][0]["reason"] == "CREDENTIALS_MISSING"


async def test_unknown_token_is_401(emulator: tuple[Emulator, str], http: httpx2.AsyncClient) -> None:
    _, url = emulator
    response = await post(http, url, envelope(), headers={**GOOD_HEADERS, "Authorization": "Bearer nope"})
    assert_rpc(response, 401, "UNAUTHENTICATED", "invalid authentication credentials")


async def test_outdated_client_version_is_refused(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient
) -> None:
    _, url = emulator
    response = await post(
        http, url, envelope(), headers={**GOOD_HEADERS, "User-Agent": "antigravity/1.0.0 linux/amd64"}
    )
    assert_rpc(response, 400, "FAILED_PRECONDITION", "This version of Antigravity is no longer supported")


async def test_missing_project_is_400(emulator: tuple[Emulator, str], http: httpx2.AsyncClient) -> None:
    _, url = emulator
    body = envelope()
    del body["project"]
    assert_rpc(await post(http, url, body), 400, "INVALID_ARGUMENT", "'project'")


async def test_foreign_project_is_403(emulator: tuple[Emulator, str], http: httpx2.AsyncClient) -> None:
    _, url = emulator
    response = await post(http, url, envelope(project="someone-elses"))
    assert_rpc(response, 403, "PERMISSION_DENIED", "projects/someone-elses")


async def test_unknown_model_is_404(emulator: tuple[Emulator, str], http: httpx2.AsyncClient) -> None:
    _, url = emulator
    response = await post(http, url, envelope(model="gpt-7"))
    assert_rpc(response, 404, "NOT_FOUND", "Requested entity was not found.")


async def test_body_that_is_not_json_is_400(emulator: tuple[Emulator, str], http: httpx2.AsyncClient) -> None:
    _, url = emulator
    response = await http.post(f"{url}/v1internal:generateContent", content=b"{nope", headers=GOOD_HEADERS)
    assert_rpc(response, 400, "INVALID_ARGUMENT", "Invalid JSON payload received")


async def test_unknown_method_is_404(emulator: tuple[Emulator, str], http: httpx2.AsyncClient) -> None:
    _, url = emulator
    assert_rpc(await post(http, url, envelope(), path="generateEverything"), 404, "NOT_FOUND", "not found")


# ----------------------------------------------------------------------------- unknown fields and types

UNKNOWN_FIELDS = [
    ("messages at the root", lambda b: b.update(messages=[]), 'Unknown name "messages": Cannot find field.'),
    (
        "messages in the request",
        lambda b: b["request"].update(messages=[]),
        "Unknown name \"messages\" at 'request': Cannot find field.",
    ),
    ("max_tokens", lambda b: b["request"].update(max_tokens=100), "Unknown name \"max_tokens\" at 'request'"),
    (
        "anthropic_version",
        lambda b: b.update(anthropic_version="vertex-2023-10-16"),
        'Unknown name "anthropic_version"',
    ),
    (
        "root-level system_instruction",
        lambda b: b.update(system_instruction={"parts": [{"text": "s"}]}),
        'Unknown name "system_instruction": Cannot find field.',
    ),
    (
        "unknown generation config field",
        lambda b: b["request"].update(generationConfig={"maxTokens": 5}),
        "Unknown name \"maxTokens\" at 'request.generation_config'",
    ),
    (
        "unknown part field",
        lambda b: b["request"]["contents"][0]["parts"][0].update(type="text"),
        "Unknown name \"type\" at 'request.contents[0].parts[0]'",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "message"), [r[1:] for r in UNKNOWN_FIELDS], ids=[r[0] for r in UNKNOWN_FIELDS]
)
async def test_unknown_fields_are_rejected(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient, mutate: Any, message: str
) -> None:
    _, url = emulator
    body = envelope()
    mutate(body)
    error = assert_rpc(await post(http, url, body), 400, "INVALID_ARGUMENT", message)
    assert error["details"][0]["@type"] == "type.googleapis.com/google.rpc.BadRequest"


async def test_string_system_instruction_is_an_invalid_value(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient
) -> None:
    _, url = emulator
    body = envelope(
        {"contents": [{"role": "user", "parts": [{"text": "hi"}]}], "systemInstruction": "Be nice."}
    )
    assert_rpc(
        await post(http, url, body),
        400,
        "INVALID_ARGUMENT",
        "Invalid value at 'request.system_instruction' "
        '(type.googleapis.com/google.ai.generativelanguage.v1beta.Content), "Be nice."',
    )


async def test_wrong_scalar_type_is_an_invalid_value(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient
) -> None:
    _, url = emulator
    response = await post(http, url, envelope(with_config(maxOutputTokens="lots")))
    assert_rpc(
        response,
        400,
        "INVALID_ARGUMENT",
        "Invalid value at 'request.generation_config.max_output_tokens' (TYPE_INT32)",
    )


@pytest.mark.parametrize("tokens", [2**31, 2**64 + 1, -(2**31) - 1, "99999999999", 1e12])
async def test_int32_fields_refuse_values_out_of_range(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient, tokens: object
) -> None:
    _, url = emulator
    response = await post(http, url, envelope(with_config(maxOutputTokens=tokens)))
    assert_rpc(
        response,
        400,
        "INVALID_ARGUMENT",
        "Invalid value at 'request.generation_config.max_output_tokens' (TYPE_INT32)",
    )


async def test_int32_fields_take_their_largest_value(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient
) -> None:
    _, url = emulator
    response = await post(http, url, envelope(with_config(maxOutputTokens=2**31 - 1)))
    assert response.status_code == 200, response.text


async def test_data_uri_in_inline_data_is_not_base64(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient
) -> None:
    _, url = emulator
    part = {"inlineData": {"mimeType": "image/png", "data": "data:image/png;base64,iVBORw0KGgo="}}
    body = envelope({"contents": [{"role": "user", "parts": [part]}]})
    assert_rpc(
        await post(http, url, body),
        400,
        "INVALID_ARGUMENT",
        "Invalid value at 'request.contents[0].parts[0].inline_data.data' (TYPE_BYTES)",
    )


# ----------------------------------------------------------------------------- contents


@pytest.mark.parametrize("role", ["assistant", "system", "tool"])
async def test_roles_other_than_user_and_model(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient, role: str
) -> None:
    _, url = emulator
    body = envelope({"contents": [{"role": role, "parts": [{"text": "hi"}]}]})
    assert_rpc(await post(http, url, body), 400, "INVALID_ARGUMENT", "Please use a valid role: user, model.")


async def test_empty_contents(emulator: tuple[Emulator, str], http: httpx2.AsyncClient) -> None:
    _, url = emulator
    assert_rpc(
        await post(http, url, envelope({"contents": []})),
        400,
        "INVALID_ARGUMENT",
        "contents is not specified",
    )


async def test_turn_without_parts(emulator: tuple[Emulator, str], http: httpx2.AsyncClient) -> None:
    _, url = emulator
    body = envelope({"contents": [{"role": "user", "parts": []}]})
    assert_rpc(await post(http, url, body), 400, "INVALID_ARGUMENT", "contents.parts must not be empty")


async def test_part_with_no_data(emulator: tuple[Emulator, str], http: httpx2.AsyncClient) -> None:
    _, url = emulator
    body = envelope({"contents": [{"role": "user", "parts": [{"thought": True}]}]})
    assert_rpc(await post(http, url, body), 400, "INVALID_ARGUMENT", "required oneof field 'data'")


async def test_part_with_two_kinds_of_data(emulator: tuple[Emulator, str], http: httpx2.AsyncClient) -> None:
    _, url = emulator
    part = {"text": "hi", "functionCall": {"name": "f", "args": {}}}
    body = envelope({"contents": [{"role": "user", "parts": [part]}]})
    assert_rpc(await post(http, url, body), 400, "INVALID_ARGUMENT", "Oneof field 'data' is already set")


# ----------------------------------------------------------------------------- thinking and sampling


async def test_max_output_tokens_not_above_thinking_budget(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient
) -> None:
    _, url = emulator
    body = envelope(
        with_config(maxOutputTokens=8000, thinkingConfig={"thinkingBudget": 8000}),
        model="claude-opus-4-6-thinking",
    )
    assert_rpc(
        await post(http, url, body),
        400,
        "INVALID_ARGUMENT",
        "max_output_tokens (8000) must be greater than thinking_budget (8000)",
    )


async def test_thinking_budget_and_level_together(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient
) -> None:
    _, url = emulator
    body = envelope(
        with_config(thinkingConfig={"thinkingBudget": 100, "thinkingLevel": "low"}), model="gemini-3-flash"
    )
    assert_rpc(
        await post(http, url, body), 400, "INVALID_ARGUMENT", "either thinking_budget or thinking_level"
    )


@pytest.mark.parametrize(
    ("model", "level"),
    [
        ("gemini-pro-agent", "minimal"),
        ("gemini-3.1-pro-low", "minimal"),
        ("gemini-3.5-flash-low", "minimal"),
        ("gpt-oss-120b-medium", "low"),
        ("claude-opus-4-6-thinking", "high"),
    ],
)
async def test_thinking_level_the_model_does_not_take(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient, model: str, level: str
) -> None:
    _, url = emulator
    body = envelope(with_config(thinkingConfig={"thinkingLevel": level}), model=model)
    assert_rpc(await post(http, url, body), 400, "INVALID_ARGUMENT", "not supported for model")


async def test_thinking_cannot_be_turned_off_on_an_always_thinking_model(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient
) -> None:
    _, url = emulator
    body = envelope(with_config(thinkingConfig={"thinkingBudget": 0}), model="claude-opus-4-6-thinking")
    assert_rpc(await post(http, url, body), 400, "INVALID_ARGUMENT", "only works in thinking mode")


async def test_temperature_out_of_range(emulator: tuple[Emulator, str], http: httpx2.AsyncClient) -> None:
    _, url = emulator
    assert_rpc(
        await post(http, url, envelope(with_config(temperature=2.5))),
        400,
        "INVALID_ARGUMENT",
        "temperature must be between",
    )


async def test_response_schema_needs_json_output(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient
) -> None:
    _, url = emulator
    config = with_config(responseSchema={"type": "object", "properties": {"a": {"type": "string"}}})
    assert_rpc(
        await post(http, url, envelope(config)),
        400,
        "INVALID_ARGUMENT",
        "response_mime_type must be application/json",
    )


async def test_image_output_needs_an_image_model(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient
) -> None:
    _, url = emulator
    body = envelope(with_config(responseModalities=["TEXT", "IMAGE"]))
    assert_rpc(await post(http, url, body), 400, "INVALID_ARGUMENT", "combination of response modalities")


@pytest.mark.parametrize(("field", "value"), [("aspectRatio", "7:5"), ("imageSize", "2k")])
async def test_image_config_values(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient, field: str, value: str
) -> None:
    _, url = emulator
    body = envelope(
        with_config(responseModalities=["TEXT", "IMAGE"], imageConfig={field: value}),
        model="gemini-3-pro-image",
    )
    assert_rpc(await post(http, url, body), 400, "INVALID_ARGUMENT", "Unsupported")


# ----------------------------------------------------------------------------- functions and schemas

SIMPLE = {"type": "object", "properties": {"city": {"type": "string"}}}


@pytest.mark.parametrize(
    "name", ["mcp/query", "123_tool", "get weather", "a" * 65, "wetter_für_ort", "", "-x"]
)
async def test_invalid_function_names(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient, name: str
) -> None:
    _, url = emulator
    response = await post(http, url, envelope(with_function(SIMPLE, name)))
    assert_rpc(
        response, 400, "INVALID_ARGUMENT", "Invalid function name. Must start with a letter or an underscore."
    )


async def test_duplicate_function_names(emulator: tuple[Emulator, str], http: httpx2.AsyncClient) -> None:
    _, url = emulator
    request = with_function(SIMPLE)
    request["tools"].append({"functionDeclarations": [{"name": "get_weather", "parameters": SIMPLE}]})
    assert_rpc(
        await post(http, url, envelope(request)), 400, "INVALID_ARGUMENT", "Duplicate function declaration"
    )


FORBIDDEN = [
    "const",
    "$ref",
    "$defs",
    "definitions",
    "$schema",
    "$id",
    "default",
    "examples",
    "$comment",
    "patternProperties",
    "prefixItems",
    "if",
    "unevaluatedProperties",
]
VALUES = {
    "const": "x",
    "$ref": "#/$defs/a",
    "$defs": {"a": {"type": "string"}},
    "definitions": {"a": {"type": "string"}},
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:x",
    "default": "x",
    "examples": ["x"],
    "$comment": "c",
    "patternProperties": {},
    "prefixItems": [],
    "if": {},
    "unevaluatedProperties": False,
}


def _placements(keyword: str) -> list[tuple[str, dict[str, Any], str]]:
    value = VALUES[keyword]
    leaf = {"type": "string", keyword: value}
    return [
        ("root", {**SIMPLE, keyword: value}, "parameters"),
        ("property", {"type": "object", "properties": {"city": leaf}}, "parameters.properties[0].value"),
        (
            "array items",
            {"type": "object", "properties": {"l": {"type": "array", "items": leaf}}},
            "parameters.properties[0].value.items",
        ),
        (
            "anyOf branch",
            {"type": "object", "properties": {"u": {"anyOf": [leaf, {"type": "integer"}]}}},
            "parameters.properties[0].value.any_of[0]",
        ),
        (
            "deep object",
            {"type": "object", "properties": {"o": {"type": "object", "properties": {"x": leaf}}}},
            "parameters.properties[0].value.properties[0].value",
        ),
    ]


@pytest.mark.parametrize(
    ("keyword", "parameters", "where"),
    [(k, p, w) for k in FORBIDDEN for (_, p, w) in _placements(k)],
    ids=[f"{k}-{label}" for k in FORBIDDEN for (label, _, _) in _placements(k)],
)
async def test_forbidden_schema_keywords_anywhere(
    emulator: tuple[Emulator, str],
    http: httpx2.AsyncClient,
    keyword: str,
    parameters: dict[str, Any],
    where: str,
) -> None:
    _, url = emulator
    response = await post(http, url, envelope(with_function(parameters)))
    assert_rpc(
        response,
        400,
        "INVALID_ARGUMENT",
        f"Unknown name \"{keyword}\" at 'request.tools[0].function_declarations[0].{where}'",
    )


async def test_forbidden_keywords_in_response_schema(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient
) -> None:
    _, url = emulator
    config = with_config(
        responseMimeType="application/json",
        responseSchema={"type": "object", "properties": {"a": {"type": "string", "const": "x"}}},
    )
    assert_rpc(
        await post(http, url, envelope(config)),
        400,
        "INVALID_ARGUMENT",
        "Unknown name \"const\" at 'request.generation_config.response_schema.properties[0].value'",
    )


SCHEMA_SHAPE_RULES = [
    ("nested title", {"city": {"type": "string", "title": "City"}}, 'Unknown name "title"'),
    ("type list", {"city": {"type": ["string", "null"]}}, "Proto field is not repeating, cannot start list."),
    (
        "null type",
        {"n": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
        'google.ai.generativelanguage.v1beta.Type), "null"',
    ),
    ("object without properties", {"o": {"type": "object"}}, "should be non-empty for OBJECT type"),
    ("array without items", {"l": {"type": "array"}}, "parameters.properties[0].value.items: missing field."),
    ("enum values must be strings", {"n": {"type": "integer", "enum": [1, 2]}}, "enum[0]' (TYPE_STRING), 1"),
]


@pytest.mark.parametrize(
    ("properties", "message"), [r[1:] for r in SCHEMA_SHAPE_RULES], ids=[r[0] for r in SCHEMA_SHAPE_RULES]
)
async def test_schema_shape_rules(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient, properties: dict[str, Any], message: str
) -> None:
    _, url = emulator
    parameters = {"type": "object", "properties": properties}
    assert_rpc(await post(http, url, envelope(with_function(parameters))), 400, "INVALID_ARGUMENT", message)


async def test_required_must_name_existing_properties(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient
) -> None:
    _, url = emulator
    parameters = {**SIMPLE, "required": ["city", "country"]}
    assert_rpc(
        await post(http, url, envelope(with_function(parameters))),
        400,
        "INVALID_ARGUMENT",
        "function_declarations[0].parameters.required[1]: property is not defined",
    )


async def test_search_and_functions_do_not_mix(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient
) -> None:
    _, url = emulator
    request = with_function(SIMPLE)
    request["tools"].append({"googleSearch": {}})
    assert_rpc(
        await post(http, url, envelope(request)),
        400,
        "INVALID_ARGUMENT",
        "Tool use with function calling is unsupported",
    )


async def test_allowed_function_names_need_mode_any(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient
) -> None:
    _, url = emulator
    request = with_function(SIMPLE)
    request["toolConfig"] = {
        "functionCallingConfig": {"mode": "AUTO", "allowedFunctionNames": ["get_weather"]}
    }
    assert_rpc(
        await post(http, url, envelope(request)), 400, "INVALID_ARGUMENT", "only be set when mode is ANY"
    )
    request["toolConfig"] = {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["nope"]}}
    assert_rpc(
        await post(http, url, envelope(request)), 400, "INVALID_ARGUMENT", "Function nope is not declared"
    )


async def test_rules_apply_to_the_streaming_path_too(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient
) -> None:
    _, url = emulator
    body = envelope()
    body["request"] = copy.deepcopy(body["request"]) | {"messages": []}
    response = await http.post(
        f"{url}/v1internal:streamGenerateContent?alt=sse", json=body, headers=GOOD_HEADERS
    )
    assert_rpc(response, 400, "INVALID_ARGUMENT", 'Unknown name "messages"')


CALL = {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {}}}]}
ANSWER = {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"t": 1}}}]}
ASK = {"role": "user", "parts": [{"text": "weather?"}]}
FUNCTION_TURNS = [
    ("call without a user turn before", [CALL], "function call turn comes immediately after a user turn"),
    (
        "call after a model turn",
        [ASK, {"role": "model", "parts": [{"text": "hm"}]}, CALL],
        "function call turn comes immediately after a user turn",
    ),
    (
        "response without a call before",
        [ASK, {"role": "model", "parts": [{"text": "x"}]}, ANSWER],
        "function response turn comes immediately after a function call turn",
    ),
    ("text instead of the response", [ASK, CALL, ASK], "number of function response parts is equal"),
    (
        "response to another function",
        [ASK, CALL, {"role": "user", "parts": [{"functionResponse": {"name": "other", "response": {}}}]}],
        "number of function response parts is equal",
    ),
]


@pytest.mark.parametrize(
    ("contents", "message"), [r[1:] for r in FUNCTION_TURNS], ids=[r[0] for r in FUNCTION_TURNS]
)
async def test_function_turn_order(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient, contents: list[dict[str, Any]], message: str
) -> None:
    _, url = emulator
    request = with_function(SIMPLE)
    request["contents"] = contents
    assert_rpc(await post(http, url, envelope(request)), 400, "INVALID_ARGUMENT", message)


async def test_a_complete_function_round_is_accepted(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient
) -> None:
    _, url = emulator
    request = with_function(SIMPLE)
    request["contents"] = [ASK, CALL, ANSWER]
    response = await post(http, url, envelope(request))
    assert response.status_code == 200, response.text
    text = response.json()["response"]["candidates"][0]["content"]["parts"][0]["text"]
    assert text == 'Function results: get_weather -> {"t": 1}'
