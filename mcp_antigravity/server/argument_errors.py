"""Tool-argument mistakes, told as a person would: "argument `temperature` must be between 0 and
2 (got 5)", never pydantic's internals. Pure: from the validation errors and the tool's input
schema (for both bounds of a range)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

_KINDS = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
}


def describe_arguments(tool: str, error: ValidationError, schema: Mapping[str, Any] | None = None) -> str:
    """One sentence per argument that is wrong, and what to do."""
    properties = (schema or {}).get("properties", {})
    by_argument: dict[str, list[str]] = {}
    got: dict[str, str] = {}
    for item in error.errors(include_url=False):
        loc = [str(p) for p in item["loc"] if not _is_union_branch(p)]
        if not loc:
            continue
        where = loc[0] + "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in loc[1:])
        need = _need(item, properties.get(loc[0], {}) if len(loc) == 1 else {})
        if need not in by_argument.setdefault(where, []):
            by_argument[where].append(need)
        if item["type"] != "missing":
            got[where] = _shown(item.get("input"))
    sentences = []
    for where, needs in by_argument.items():
        value = f" (got {got[where]})" if where in got else ""
        verb = "is" if needs == ["required"] else "must be"
        sentences.append(f"argument `{where}` {verb} {' or '.join(needs)}{value}")
    listed = "; ".join(sentences)
    return f"Invalid arguments for {tool}: {listed}. Fix them and call {tool} again."


def _need(item: Mapping[str, Any], prop: Mapping[str, Any]) -> str:
    kind, ctx = item["type"], item.get("ctx") or {}
    branches: list[Mapping[str, Any]] = [prop, *prop.get("anyOf", [])]
    ranged: Mapping[str, Any] = next((b for b in branches if "minimum" in b or "maximum" in b), {})
    low, high = ranged.get("minimum"), ranged.get("maximum")
    if kind in ("less_than_equal", "greater_than_equal") and low is not None and high is not None:
        return f"between {_number(low)} and {_number(high)}"
    bounds = {
        "less_than_equal": ("at most", "le"),
        "greater_than_equal": ("at least", "ge"),
        "less_than": ("below", "lt"),
        "greater_than": ("above", "gt"),
    }
    if kind in bounds:
        words, key = bounds[kind]
        return f"{words} {_number(ctx.get(key))}"
    if kind == "missing":
        return "required"
    if kind == "literal_error":
        return f"one of {ctx.get('expected', '')}"
    if kind == "enum":
        return f"one of {ctx.get('expected', '')}"
    if kind in ("too_long", "too_short"):
        limit = ctx.get("max_length" if kind == "too_long" else "min_length")
        unit = "items" if isinstance(item.get("input"), list | dict) else "characters"
        return f"{'at most' if kind == 'too_long' else 'at least'} {limit} {unit} long"
    if kind in _KINDS:
        return _KINDS[kind]
    message = str(item.get("msg", "valid")).removeprefix("Input should be ").removeprefix("Value error, ")
    return message[:200]


def _is_union_branch(part: object) -> bool:
    """Pydantic names the branch of a union it tried (``literal['off','low']``, ``int``) in the
    location; the argument is what the caller needs."""
    text = str(part)
    return (not text.isidentifier() and not text.isdigit()) or text in {
        "int",
        "str",
        "float",
        "bool",
        "list",
        "dict",
    }


def _number(value: object) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
