"""How the emulated models use tools and structured output, deterministically.

* **Calling a function**: when the last user turn says ``call:<name>`` (a declared function's
  name as sent upstream), the model answers with a ``functionCall`` to it; ``call:*`` calls
  every declared function, in parallel parts. Mode ``ANY`` forces a call to the first allowed
  function even without a trigger; mode ``NONE`` never calls.
* **Arguments** are generated from the declared schema, like a careful model that reads
  descriptions: every property is filled except optional nullable ones, which are left out; an
  ``enum`` gives its first value; strings are
  ``"example"`` unless the description asks for something else (``one of: ...``,
  ``must be ...``, a lower bound, ``at least N characters``, a ``format``, or "a JSON object
  written as a string"); integers are 1 and numbers 1.5 unless bounded; booleans ``true``;
  arrays hold one item, or as many as ``at least N items`` asks; ``anyOf`` takes its first branch.
* **Function results**: a last user turn of ``functionResponse`` parts is answered with
  ``Function results: <name> -> <response JSON>; ...``.
* **Structured output**: with ``responseSchema``, the answer is JSON generated from it the same
  way; with ``text/x.enum``, the first enum value.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from typing import Any

_ALNUM = string.ascii_letters + string.digits
_TRIGGER = re.compile(r"\bcall:(\*|[A-Za-z_][A-Za-z0-9_.:\-]*)")
_FORMATS = {
    "email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "date-time": "2026-01-01T00:00:00Z",
    "date": "2026-01-01",
    "time": "12:00:00",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "192.0.2.1",
    "hostname": "example.com",
}
MAX_DEPTH = 8


def declared_functions(request: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for tool in request.get("tools", []) for d in tool.get("functionDeclarations", [])]


def functions_to_call(request: dict[str, Any], user_text: str) -> list[dict[str, Any]]:
    """The declarations the model calls this turn (empty: it answers in text)."""
    declared = declared_functions(request)
    calling = request.get("toolConfig", {}).get("functionCallingConfig", {})
    mode = str(calling.get("mode", "AUTO")).upper()
    if not declared or mode == "NONE":
        return []
    allowed = calling.get("allowedFunctionNames") or [d["name"] for d in declared]
    callable_ = [d for d in declared if d["name"] in allowed]
    wanted = {m.group(1) for m in _TRIGGER.finditer(user_text)}
    chosen = callable_ if "*" in wanted else [d for d in callable_ if d["name"] in wanted]
    if not chosen and mode == "ANY":
        chosen = callable_[:1]
    return chosen


def call_id(model_id: str, request_id: str, index: int) -> str:
    digest = hashlib.sha256(f"call/{model_id}/{request_id}/{index}".encode()).digest()
    return "toolu_vrtx_" + "".join(_ALNUM[b % len(_ALNUM)] for b in digest[:24])


def function_call_parts(
    declarations: list[dict[str, Any]], *, with_ids: bool, model_id: str, request_id: str
) -> list[dict[str, Any]]:
    parts = []
    for index, declaration in enumerate(declarations):
        call: dict[str, Any] = {
            "name": declaration["name"],
            "args": value_for(declaration.get("parameters"), 0),
        }
        if with_ids:
            call["id"] = call_id(model_id, request_id, index)
        parts.append({"functionCall": call})
    return parts


def function_results_text(content: dict[str, Any]) -> str | None:
    responses = [p["functionResponse"] for p in content.get("parts", []) if "functionResponse" in p]
    if not responses:
        return None
    shown = "; ".join(
        f"{r.get('name')} -> {json.dumps(r.get('response', {}), sort_keys=True)}" for r in responses
    )
    return f"Function results: {shown}"


def structured_answer(config: dict[str, Any]) -> str | None:
    schema = config.get("responseSchema")
    if schema is None:
        return None
    if config.get("responseMimeType") == "text/x.enum":
        return str((schema.get("enum") or [""])[0])
    return json.dumps(value_for(schema, 0), ensure_ascii=False)


# --------------------------------------------------------------------------- values from schemas


def value_for(schema: dict[str, Any] | None, depth: int) -> Any:
    if not schema:
        return {} if depth == 0 else "example"
    if depth > MAX_DEPTH:
        return None
    if schema.get("anyOf"):
        return value_for(schema["anyOf"][0], depth + 1)
    description = schema.get("description", "")
    kind = str(schema.get("type", "")).upper()
    if kind == "OBJECT" or "properties" in schema:
        required = set(schema.get("required", []))
        return {
            name: value_for(sub, depth + 1)
            for name, sub in schema.get("properties", {}).items()
            if name in required or not sub.get("nullable")
        }
    if kind == "ARRAY":
        count = re.search(r"at least (\d+) items", description)
        return [value_for(schema.get("items"), depth + 1)] * max(int(count.group(1)) if count else 1, 1)
    if schema.get("enum"):
        return schema["enum"][0]
    hinted = _from_description(description, kind)
    if hinted is not None:
        return hinted
    if kind == "INTEGER":
        return 1
    if kind == "NUMBER":
        return 1.5
    if kind == "BOOLEAN":
        return True
    return "example"


def _from_description(description: str, kind: str) -> Any:
    """What a model reading the description would send: listed values, bounds, formats, lengths."""
    listed = re.search(r"(?:one of: |must be )(.+?)(?:[;)]|, \.\.\.|$)", description)
    if listed:
        first = listed.group(1).split(", ")[0]
        try:
            return json.loads(first)
        except ValueError:
            pass
    if "a JSON object written as a string" in description:
        return "{}"
    bound = re.search(r"(?:minimum|greater than) (-?\d+(?:\.\d+)?)", description)
    if bound and kind in ("INTEGER", "NUMBER"):
        value = float(bound.group(1)) + (1 if "greater than" in bound.group(0) else 0)
        return int(value) if kind == "INTEGER" else value
    fmt = re.search(r"format: ([\w-]+)", description)
    if fmt and fmt.group(1) in _FORMATS and kind in ("STRING", ""):
        return _FORMATS[fmt.group(1)]
    length = re.search(r"at least (\d+) characters", description)
    if length and kind in ("STRING", ""):
        return "x" * max(int(length.group(1)), 1)
    return None
