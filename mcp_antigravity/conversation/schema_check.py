"""What the server accepts as a caller's JSON Schema, and the one validator it checks values with.

A caller's schema is data, never an instruction to fetch: jsonschema's default registry
RETRIEVES remote ``$ref`` targets (``http://``, ``file://``) with urllib, with no address
check and no timeout, on the calling thread. Here nothing is ever retrieved:

* every ``$ref`` / ``$dynamicRef`` must point inside the schema itself (``#``, ``#/$defs/X``,
  ``#anchor``) or at a JSON Schema meta-schema (which ships with jsonschema); any other is
  refused, before anything is sent upstream, with a message that says remote references are
  not followed and what to do instead;
* the validator's registry holds the document and the bundled meta-schemas only, and its
  retrieval refuses, so even a reference that slipped past the check cannot open a socket
  or a file;
* a reference cycle that never descends into a value (``{"$ref": "#"}``) is refused, since
  validating with it would recurse forever;
* the schema must be valid under its own draft's meta-schema (``minimum: "x"`` is not), with
  regular expressions that compile;
* the work is bounded: at most :data:`MAX_NODES` nodes and :data:`MAX_NESTING` levels as
  sent (cleaning bounds the expanded size, see :data:`.schema.MAX_NODES`).

:func:`check_schema` raises :class:`~.schema.SchemaError`; :func:`validate` returns messages.
Both are pure and CPU-bound: callers run them off the event loop.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema
import referencing
import referencing.exceptions
from jsonschema.protocols import Validator
from jsonschema_specifications import REGISTRY as META_SCHEMAS  # type: ignore[import-untyped]

from .schema import SchemaError, resolve_reference

MAX_NODES = 10_000
MAX_NESTING = 64

_VALIDATORS: dict[str, type[Validator]] = {
    str(cls.META_SCHEMA.get("$id") or cls.META_SCHEMA.get("id")).rstrip("#"): cls
    for cls in (
        jsonschema.Draft3Validator,
        jsonschema.Draft4Validator,
        jsonschema.Draft6Validator,
        jsonschema.Draft7Validator,
        jsonschema.Draft201909Validator,
        jsonschema.Draft202012Validator,
    )
}
_META_URIS = frozenset(uri.rstrip("#") for uri in META_SCHEMAS)
# Where subschemas sit: keyword -> a map of schemas, a list of schemas, or one schema.
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems", "items"})
_SCHEMA_ONE = frozenset(
    {
        "additionalProperties",
        "additionalItems",
        "contains",
        "propertyNames",
        "not",
        "if",
        "then",
        "else",
        "unevaluatedItems",
        "unevaluatedProperties",
        "contentSchema",
    }
)
# Keywords whose subschemas apply to the same value (not to a property or an item).
_IN_PLACE_LISTS = ("allOf", "anyOf", "oneOf")
_IN_PLACE_ONE = ("not", "if", "then", "else")


def _refuse(uri: str) -> referencing.Resource[Any]:
    raise referencing.exceptions.NoSuchResource(uri)


_NO_RETRIEVAL: referencing.Registry[Any] = referencing.Registry(retrieve=_refuse)  # type: ignore[call-arg]


def _path(parts: Iterator[Any] | list[Any]) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def validator_class(schema: Mapping[str, Any] | bool) -> type[Validator]:
    """The validator for the schema's ``$schema`` draft; the newest for none or an unknown one."""
    declared = schema.get("$schema") if isinstance(schema, Mapping) else None
    if isinstance(declared, str):
        return _VALIDATORS.get(declared.rstrip("#"), jsonschema.Draft202012Validator)
    return jsonschema.Draft202012Validator


def _check_size(schema: object) -> None:
    """Refuse documents too large or too deep to work on (counted over every JSON value)."""
    stack: list[tuple[object, int]] = [(schema, 0)]
    seen = 0
    while stack:
        node, depth = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            raise SchemaError("$", f"the schema has more than {MAX_NODES:,} nodes; send a smaller one")
        if depth > MAX_NESTING:
            raise SchemaError("$", f"the schema nests deeper than {MAX_NESTING} levels")
        children = node.values() if isinstance(node, Mapping) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, Mapping | list))


def _subschemas(path: str, node: Mapping[str, Any]) -> Iterator[tuple[str, object]]:
    """The schemas directly inside ``node``, by keyword (property names are data, never keywords)."""
    for keyword, value in node.items():
        if keyword in _SCHEMA_MAPS and isinstance(value, Mapping):
            yield from ((f"{path}.{keyword}.{name}", sub) for name, sub in value.items())
        elif keyword in _SCHEMA_LISTS and isinstance(value, list):
            yield from ((f"{path}.{keyword}[{i}]", sub) for i, sub in enumerate(value))
        elif keyword in _SCHEMA_ONE or (keyword in _SCHEMA_LISTS and isinstance(value, Mapping)):
            yield f"{path}.{keyword}", value


def _walk(schema: object) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every schema object in the document, with its path."""
    stack: list[tuple[str, object]] = [("$", schema)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, Mapping):
            yield path, node
            stack.extend(_subschemas(path, node))


def _references(node: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for keyword in ("$ref", "$dynamicRef"):
        ref = node.get(keyword)
        if isinstance(ref, str):  # a non-string one is left to the meta-schema check, which names it
            yield keyword, ref


def _check_references(root: Mapping[str, Any] | bool) -> None:
    for path, node in _walk(root):
        for keyword, ref in _references(node):
            if ref.startswith("#"):
                resolve_reference(root, ref)  # raises when it points nowhere
            elif ref.split("#", 1)[0].rstrip("/") not in _META_URIS:
                raise SchemaError(
                    path,
                    f"{keyword} {ref[:200]!r} points outside this schema; remote references are not followed "
                    "(this server never fetches or reads what a schema points to). Put the definition under "
                    "$defs and refer to it as '#/$defs/<name>'",
                )


def _in_place(root: Mapping[str, Any] | bool, node: Mapping[str, Any]) -> Iterator[object]:
    """The subschemas that apply to the same value as ``node``."""
    for _, ref in _references(node):
        if ref.startswith("#"):
            yield resolve_reference(root, ref)
    for keyword in _IN_PLACE_LISTS:
        if isinstance(node.get(keyword), list):
            yield from node[keyword]
    for keyword in _IN_PLACE_ONE:
        if keyword in node:
            yield node[keyword]
    if isinstance(node.get("dependentSchemas"), Mapping):
        yield from node["dependentSchemas"].values()


def _check_cycles(root: Mapping[str, Any] | bool) -> None:
    """Refuse references that lead back to themselves without descending into a value."""
    done: set[int] = set()
    for path, start in _walk(root):
        if id(start) in done:
            continue
        # iterative depth-first search over "applies to the same value" edges
        on_path: set[int] = {id(start)}
        stack: list[tuple[Mapping[str, Any], Iterator[object]]] = [(start, _in_place(root, start))]
        while stack:
            node, edges = stack[-1]
            nxt = next(edges, None)
            if nxt is None:
                stack.pop()
                on_path.discard(id(node))
                done.add(id(node))
                continue
            if not isinstance(nxt, Mapping) or id(nxt) in done:
                continue
            if id(nxt) in on_path:
                raise SchemaError(
                    path,
                    'a $ref here leads back to itself without describing any value (like {"$ref": "#"}), '
                    "so no value could ever be checked against it; point it at a definition that has a type",
                )
            on_path.add(id(nxt))
            stack.append((nxt, _in_place(root, nxt)))


_TYPE_NAMES = frozenset({"string", "number", "integer", "boolean", "array", "object", "null"})


def repair_schema(schema: Any) -> Any:
    """``schema`` with the mistakes real MCP servers publish repaired, where the meaning is clear
    (as the peers do), so they are not refused:

    * ``properties`` given as a list of ``{"name": ..., ...}`` (or of names) becomes the map it means;
    * a property given as a type name (``"city": "string"``) becomes ``{"type": "string"}``;
    * a draft-3 ``required: true`` inside a property moves to its parent's ``required`` list
      (``false`` is dropped), and a lone ``required: "name"`` becomes ``["name"]``.

    Anything else is left as it is, for :func:`check_schema` to refuse with a path. Pure: the
    input is not changed."""
    if isinstance(schema, list):
        return [repair_schema(item) for item in schema]
    if not isinstance(schema, Mapping):
        return schema
    node = dict(schema)
    if isinstance(node.get("required"), str):
        node["required"] = [node["required"]]
    properties = node.get("properties")
    if isinstance(properties, list):
        if all(isinstance(p, Mapping) and isinstance(p.get("name"), str) for p in properties):
            properties = {p["name"]: {k: v for k, v in p.items() if k != "name"} for p in properties}
        elif all(isinstance(p, str) for p in properties):
            properties = {name: {} for name in properties}
    if isinstance(properties, Mapping):
        fixed: dict[str, Any] = {}
        required = list(node["required"]) if isinstance(node.get("required"), list) else []
        for name, sub in properties.items():
            if isinstance(sub, str) and sub in _TYPE_NAMES:
                sub = {"type": sub}
            if isinstance(sub, Mapping) and isinstance(sub.get("required"), bool):
                if sub["required"] and name not in required:
                    required.append(name)
                sub = {k: v for k, v in sub.items() if k != "required"}
            fixed[name] = repair_schema(sub)
        node["properties"] = fixed
        if required or "required" in node:
            node["required"] = required
    for keyword, value in node.items():
        if keyword == "properties":
            continue
        if keyword in _SCHEMA_MAPS and isinstance(value, Mapping):
            node[keyword] = {name: repair_schema(sub) for name, sub in value.items()}
        elif keyword in _SCHEMA_LISTS or keyword in _SCHEMA_ONE:
            node[keyword] = repair_schema(value)
    return node


def check_schema(schema: object) -> None:
    """Refuse a schema this server will not use (see the module documentation); return when it is fine."""
    if not isinstance(schema, Mapping | bool):
        raise SchemaError("$", f"a JSON Schema is an object or a boolean, not {type(schema).__name__}")
    if isinstance(schema, bool):
        return
    _check_size(schema)
    _check_references(schema)
    _check_cycles(schema)
    cls = validator_class(schema)
    try:
        cls.check_schema(dict(schema))
    except jsonschema.exceptions.SchemaError as exc:
        where = _path(list(exc.absolute_path))
        raise SchemaError(where, f"not valid JSON Schema: {exc.message[:300]}") from None
    except re.error as exc:  # a pattern the meta-schema's regex check could not judge
        raise SchemaError("$", f"a pattern is not a valid regular expression: {exc}") from None


def validate(schema: Mapping[str, Any] | bool, value: Any) -> list[str]:
    """Messages for every way ``value`` breaks ``schema`` (empty when it holds); nothing is fetched."""
    try:
        validator = validator_class(schema)(schema, registry=_NO_RETRIEVAL)
        errors = sorted(validator.iter_errors(value), key=lambda e: [str(p) for p in e.absolute_path])
        return [f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}" for e in errors]
    except referencing.exceptions.Unresolvable as exc:
        return [
            f"the schema has a $ref that cannot be resolved here ({exc}); remote references are not followed"
        ]
    except jsonschema.exceptions.SchemaError as exc:
        return [f"the schema itself is invalid: {exc.message}"]
    except re.error as exc:
        return [f"the schema has a pattern that is not a valid regular expression: {exc}"]
    except RecursionError:
        return ["the schema refers to itself without end; it cannot be checked"]
