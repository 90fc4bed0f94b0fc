"""Arguments and answers back in the caller's shape, after the upstream saw a cleaned schema.

Cleaning (:mod:`.schema`) changes what values look like in two places, and this undoes both,
guided by the caller's ORIGINAL schema:

* an object that could not be described upstream (no properties, a map) travelled as a string
  holding JSON: it is decoded;
* a nullable property left ``required``: a key the caller's schema requires but that allows
  ``null`` may be left out by the model: it is put back as ``null``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .schema import MAX_DEPTH, MAX_NODES, SchemaError, is_null_schema, resolve_reference


class _Exhausted(Exception):
    """More schema nodes were visited than cleaning would have allowed."""


def restore_arguments(schema: Mapping[str, Any] | bool, args: Any) -> Any:
    """Undo what cleaning did to values: decode objects sent as JSON strings, and give back
    ``null`` for keys the caller's schema requires but the model could leave out.

    The work is bounded (ten times :data:`.schema.MAX_NODES` steps); past it the arguments come
    back as they are, and validation says what is wrong with them."""
    try:
        return _restore(schema, args, schema, 0, [10 * MAX_NODES])
    except _Exhausted:
        return args


def _restore(
    schema: Mapping[str, Any] | bool,
    value: Any,
    root: Mapping[str, Any] | bool,
    depth: int,
    budget: list[int],
) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise _Exhausted
    if not isinstance(schema, Mapping) or depth > MAX_DEPTH:
        return value
    if isinstance(schema.get("$ref"), str):
        try:
            target = resolve_reference(root, schema["$ref"])
        except SchemaError:
            return value
        merged = {
            **(target if isinstance(target, Mapping) else {}),
            **{k: v for k, v in schema.items() if k != "$ref"},
        }
        return _restore(merged, value, root, depth + 1, budget)
    for key in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(key, []) if isinstance(schema.get(key), list) else []:
            if isinstance(branch, Mapping) and not is_null_schema(branch):
                value = _restore(branch, value, root, depth + 1, budget)
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    properties = schema.get("properties")
    if "object" in kinds and isinstance(value, str) and not properties:
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        return decoded if isinstance(decoded, dict) else value
    if isinstance(value, dict) and isinstance(properties, Mapping):
        restored = {
            k: _restore(properties[k], v, root, depth + 1, budget) if k in properties else v
            for k, v in value.items()
        }
        for name in schema.get("required", []) if isinstance(schema.get("required"), list) else []:
            if name not in restored and name in properties and _allows_null(properties[name], root):
                restored[name] = None
        return restored
    items = schema.get("items")
    if isinstance(value, list) and isinstance(items, Mapping):
        return [_restore(items, v, root, depth + 1, budget) for v in value]
    return value


def _allows_null(schema: object, root: Mapping[str, Any] | bool) -> bool:
    if not isinstance(schema, Mapping):
        return schema is True
    if isinstance(schema.get("$ref"), str):
        try:
            target = resolve_reference(root, schema["$ref"])
        except SchemaError:
            return False
        return _allows_null(target, root)
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind) or schema.get("nullable") is True:
        return True
    if None in (schema.get("enum") or []) or ("const" in schema and schema["const"] is None):
        return True
    return any(
        is_null_schema(b) or _allows_null(b, root)
        for key in ("anyOf", "oneOf")
        for b in (schema.get(key) or [])
    )
