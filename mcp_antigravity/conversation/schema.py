"""Turn any JSON Schema into the subset the upstream accepts, keeping its meaning.

:func:`clean_json_schema` is pure and idempotent. Rule by rule:

* **References**: local ``$ref`` (``#/$defs/X``, ``#/definitions/X``, any JSON pointer, ``#``,
  ``#name`` anchors) are inlined; keywords beside a ``$ref`` override the target's. A reference already being
  expanded twice on the way down is cut instead of looping: that last level keeps the type's
  own properties except the ones that recurse, and says so in its description. Remote
  references cannot be fetched and become a note. ``$defs`` / ``definitions`` go away.
* **allOf** is merged into one schema (properties and ``required`` united).
* **anyOf / oneOf**: a ``null`` branch makes the field nullable; one branch left is merged
  into the node; branches that are all string literals become one ``enum``; otherwise the
  branches stay as ``anyOf`` (the model cannot be held to "exactly one", and arguments are
  checked against the caller's own schema afterwards anyway).
* **type**: ``[X, "null"]`` becomes ``X`` plus ``nullable``; several types become an
  ``anyOf`` of one branch per type, each with the keywords that apply to it; ``null`` alone
  becomes a nullable untyped node.
* **Nullable fields leave required**: a property whose schema allows ``null`` is marked
  ``nullable`` and removed from its parent's ``required`` (``arguments.restore_arguments``
  puts ``null`` back when the caller's schema requires the key).
* **const / enum**: ``const`` becomes a one-value ``enum``. The upstream's ``enum`` holds
  strings only, so an enum with other values keeps its type and lists the values as a hint.
* **Objects** keep ``properties`` and a ``required`` that names only existing properties.
  An object without properties cannot be described upstream: below the root it becomes a
  string holding JSON (decoded again by ``arguments.restore_arguments``); at the root it stays
  ``{"type": "object"}``, which callers send as "no parameters".
* **Arrays** without ``items`` get ``items: {"type": "string"}``; tuple forms
  (``prefixItems``, ``items: [...]``) become an ``anyOf`` of their item schemas.
* **Dropped, kept as hints**: constraints the model should still see are appended to the
  description in parentheses: ``pattern``, ``format``, lengths, bounds, ``multipleOf``,
  item and property counts, ``uniqueItems``, ``default``, ``examples``,
  ``additionalProperties: false``, ``deprecated``. A nested ``title`` becomes the
  description when there is none.
* **Dropped silently**: ``$schema``, ``$id``, ``$comment``, ``$anchor``, ``title`` at the
  root, ``readOnly``, ``writeOnly``, ``patternProperties``, ``propertyNames``,
  ``unevaluated*``, ``dependent*``, ``if``/``then``/``else``, ``not``, ``contains``, and any
  keyword this module does not know.
* **Bounded work**: a schema that grows past :data:`MAX_NODES` nodes once its references are
  inlined is refused with :class:`SchemaError` (work stops there, however large it would grow).
* **Property names are data**: a property called ``const``, ``title``, ``default``,
  ``pattern``, ``type`` or ``$ref`` is never read as a keyword.

Input that is not a JSON Schema raises :class:`SchemaError` naming the path (``$.properties.a``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from .errors import ConversationError

JSON_TYPES = frozenset({"string", "number", "integer", "boolean", "array", "object", "null"})
MAX_REF_EXPANSIONS = 2
MAX_DEPTH = 32
MAX_NODES = 20_000
"""Schema nodes cleaning may visit, ``$ref`` expansions included: a few chained definitions
that each refer to the next several times grow exponentially (a 1.7 KB schema reached
millions), so the work is bounded and a schema past it is refused."""

_OBJECT_KEYS = frozenset(
    {
        "properties",
        "required",
        "additionalProperties",
        "patternProperties",
        "minProperties",
        "maxProperties",
        "propertyNames",
    }
)
_ARRAY_KEYS = frozenset({"items", "prefixItems", "minItems", "maxItems", "uniqueItems", "contains"})
_STRING_KEYS = frozenset({"minLength", "maxLength", "pattern", "format"})
_NUMBER_KEYS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"})
_KEYS_BY_TYPE = {
    "object": _OBJECT_KEYS,
    "array": _ARRAY_KEYS,
    "string": _STRING_KEYS,
    "number": _NUMBER_KEYS,
    "integer": _NUMBER_KEYS,
}
_TYPED_KEYS = _OBJECT_KEYS | _ARRAY_KEYS | _STRING_KEYS | _NUMBER_KEYS

# keyword -> how its value reads as a hint
_HINTS: dict[str, str] = {
    "pattern": "pattern: {}",
    "format": "format: {}",
    "minLength": "at least {} characters",
    "maxLength": "at most {} characters",
    "minimum": "minimum {}",
    "maximum": "maximum {}",
    "exclusiveMinimum": "greater than {}",
    "exclusiveMaximum": "less than {}",
    "multipleOf": "multiple of {}",
    "minItems": "at least {} items",
    "maxItems": "at most {} items",
    "minProperties": "at least {} properties",
    "maxProperties": "at most {} properties",
}
_HINT_KEYS = frozenset(_HINTS)


class SchemaError(ConversationError, ValueError):
    """The input is not a JSON Schema; the message names where."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def clean_json_schema(schema: Mapping[str, Any] | bool) -> dict[str, Any]:
    """The upstream-safe form of ``schema``. See the module documentation for the rules."""
    if not isinstance(schema, Mapping | bool):
        raise SchemaError("$", f"a JSON Schema is an object or a boolean, not {_kind(schema)}")
    cleaned, _ = _Cleaner(schema).clean(schema, "$", (), 0)
    cleaned.pop("nullable", None)
    return cleaned


def _kind(value: object) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _json(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_null_schema(node: object) -> bool:
    if not isinstance(node, Mapping):
        return False
    kind = node.get("type")
    if node.get("nullable") is True and kind is None and set(node) <= {"nullable", "description"}:
        return True  # what a null-only schema cleans to
    return (
        kind == "null"
        or kind == ["null"]
        or node.get("enum") == [None]
        or ("const" in node and node["const"] is None)
    )


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``extra`` folded in: properties and required united, descriptions joined."""
    merged = dict(base)
    for key, value in extra.items():
        if key == "properties" and isinstance(merged.get(key), Mapping) and isinstance(value, Mapping):
            merged[key] = {**value, **merged[key]}
        elif key == "required" and isinstance(merged.get(key), list) and isinstance(value, list):
            merged[key] = merged[key] + [name for name in value if name not in merged[key]]
        elif key == "description" and isinstance(merged.get(key), str) and merged[key] != value:
            merged[key] = f"{merged[key]} {value}"
        else:
            merged.setdefault(key, value)
    return merged


def resolve_reference(root: Mapping[str, Any] | bool, ref: str) -> Mapping[str, Any] | bool | None:
    """The subschema a local ``$ref`` names in ``root``; ``None`` for remote references.

    Raises :class:`SchemaError` when the reference points nowhere.
    """
    return _Cleaner(root).resolve(ref, "$")


def is_null_schema(node: object) -> bool:
    """Whether ``node`` admits nothing but ``null``."""
    return _is_null_schema(node)


class _Cleaner:
    def __init__(self, root: Mapping[str, Any] | bool, budget: int = MAX_NODES) -> None:
        self.root = root
        self.budget = budget
        self.visited = 0

    # ------------------------------------------------------------------ references

    def resolve(self, ref: str, path: str) -> Mapping[str, Any] | bool | None:
        """The schema ``ref`` points at; ``None`` for references outside this document."""
        if not ref.startswith("#"):
            return None
        if len(ref) > 1 and not ref.startswith("#/"):
            return self._anchor(ref[1:], path)
        target: Any = self.root
        for token in filter(None, unquote(ref[1:]).split("/")):
            token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(target, Mapping) and token in target:
                target = target[token]
            elif isinstance(target, list) and token.isdigit() and int(token) < len(target):
                target = target[int(token)]
            else:
                raise SchemaError(path, f"$ref {ref!r} points nowhere in this schema")
        if not isinstance(target, Mapping | bool):
            raise SchemaError(path, f"$ref {ref!r} points at {_kind(target)}, not a schema")
        return target

    def _anchor(self, name: str, path: str) -> Mapping[str, Any]:
        """The subschema named ``name`` by ``$anchor`` (or by a draft-07 ``$id: "#name"``)."""
        stack: list[Any] = [self.root]
        while stack:
            node = stack.pop()
            if isinstance(node, Mapping):
                if name in (node.get("$anchor"), node.get("$dynamicAnchor")) or node.get("$id") == f"#{name}":
                    return node
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
        raise SchemaError(path, f"$ref '#{name}' names no $anchor in this schema")

    # ------------------------------------------------------------------ one node

    def clean(
        self, node: object, path: str, refs: tuple[str, ...], depth: int
    ) -> tuple[dict[str, Any], bool]:
        """The cleaned node, and whether it allows ``null``."""
        self.visited += 1
        if self.visited > self.budget:
            raise SchemaError(
                path,
                f"the schema grows past {self.budget:,} nodes once its $refs are inlined (definitions that "
                "refer to others several times grow exponentially); describe fewer levels or branches",
            )
        if node is True:
            return {}, False
        if node is False:
            return {"description": "(no value is accepted here)"}, False
        if not isinstance(node, Mapping):
            raise SchemaError(path, f"expected a schema (an object or a boolean), got {_kind(node)}")
        if depth > MAX_DEPTH:
            return {"description": "(nesting cut: the schema is deeper than the upstream can take)"}, False
        if "$ref" in node:
            return self._inline_ref(node, path, refs, depth)
        if "allOf" in node:
            return self._merge_all_of(node, path, refs, depth)
        if "anyOf" in node or "oneOf" in node:
            return self._union(node, path, refs, depth)
        return self._plain(node, path, refs, depth)

    def _inline_ref(
        self, node: Mapping[str, Any], path: str, refs: tuple[str, ...], depth: int
    ) -> tuple[dict[str, Any], bool]:
        ref = node["$ref"]
        if not isinstance(ref, str):
            raise SchemaError(path, "$ref must be a string")
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        name = ref.rsplit("/", 1)[-1] or "the root"
        target = self.resolve(ref, path)
        if refs.count(ref) >= MAX_REF_EXPANSIONS:
            return self._cut(ref, name, target, siblings, path, refs, depth)
        if target is None:
            siblings["description"] = " ".join(
                filter(None, [siblings.get("description"), f"(see external schema {ref})"])
            )
            return self.clean(siblings, path, refs, depth + 1)
        base: Mapping[str, Any] = target if isinstance(target, Mapping) else {}
        if target is False:
            return {"description": "(no value is accepted here)"}, False
        return self.clean({**base, **siblings}, path, (*refs, ref), depth + 1)

    def _cut(
        self,
        ref: str,
        name: str,
        target: Mapping[str, Any] | bool | None,
        siblings: dict[str, Any],
        path: str,
        refs: tuple[str, ...],
        depth: int,
    ) -> tuple[dict[str, Any], bool]:
        """The last level of a recursive structure: its own shape without the properties that recurse."""
        properties = target.get("properties") if isinstance(target, Mapping) else None
        if not isinstance(target, Mapping) or not isinstance(properties, Mapping):
            note = f"(recursive {name}: nesting deeper than this is not described)"
            description = siblings.get("description")
            return {"description": f"{description} {note}" if isinstance(description, str) else note}, False
        mentions = json.dumps(ref)
        kept = {k: v for k, v in properties.items() if mentions not in json.dumps(v)}
        dropped = [k for k in properties if k not in kept]
        shallow = {**target, **siblings, "properties": kept}
        if dropped:
            note = f"(recursive {name}: {', '.join(dropped)} not described at this depth)"
            shallow["description"] = " ".join(filter(None, [shallow.get("description"), note]))
        return self.clean(shallow, path, (*refs, ref), depth + 1)

    def _merge_all_of(
        self, node: Mapping[str, Any], path: str, refs: tuple[str, ...], depth: int
    ) -> tuple[dict[str, Any], bool]:
        parts = node["allOf"]
        if not isinstance(parts, list):
            raise SchemaError(f"{path}.allOf", "allOf must be an array of schemas")
        merged: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
        nullable = True
        for i, part in enumerate(parts):
            cleaned, part_nullable = self.clean(part, f"{path}.allOf[{i}]", refs, depth + 1)
            nullable = nullable and part_nullable
            merged = _merge(merged, cleaned)
        result, node_nullable = self.clean(merged, path, refs, depth + 1)
        return result, node_nullable or (nullable and bool(parts))

    def _union(
        self, node: Mapping[str, Any], path: str, refs: tuple[str, ...], depth: int
    ) -> tuple[dict[str, Any], bool]:
        key = "anyOf" if "anyOf" in node else "oneOf"
        branches = node[key]
        if not isinstance(branches, list):
            raise SchemaError(f"{path}.{key}", f"{key} must be an array of schemas")
        rest = {k: v for k, v in node.items() if k not in ("anyOf", "oneOf")}
        if key == "anyOf" and "oneOf" in node:
            rest["allOf"] = [{"oneOf": node["oneOf"]}]  # both present: each must hold
        nullable = False
        kept: list[dict[str, Any]] = []
        for i, branch in enumerate(branches):
            if _is_null_schema(branch):
                nullable = True
                continue
            cleaned, branch_nullable = self.clean(branch, f"{path}.{key}[{i}]", refs, depth + 1)
            nullable = nullable or branch_nullable
            if _is_null_schema(cleaned):  # e.g. a nested union of nothing but null
                continue
            if cleaned not in kept:
                kept.append(cleaned)
        literals = [
            b["enum"] for b in kept if set(b) - {"description"} == {"type", "enum"} and b["type"] == "string"
        ]
        if not kept:
            result, _ = self.clean(rest, path, refs, depth + 1)
        elif len(kept) == 1:
            result, branch_nullable = self.clean(_merge(rest, kept[0]), path, refs, depth + 1)
            nullable = nullable or branch_nullable
        elif len(literals) == len(kept):
            values = list(dict.fromkeys(v for enum in literals for v in enum))
            result, branch_nullable = self.clean(
                _merge(rest, {"type": "string", "enum": values}), path, refs, depth + 1
            )
            nullable = nullable or branch_nullable
        else:
            result, rest_nullable = self.clean(rest, path, refs, depth + 1)
            result.pop("type", None)
            result["anyOf"] = kept
            nullable = nullable or rest_nullable
        if nullable or not kept:
            result["nullable"] = True
        return result, nullable or not kept

    def _plain(
        self, node: Mapping[str, Any], path: str, refs: tuple[str, ...], depth: int
    ) -> tuple[dict[str, Any], bool]:
        kind = node.get("type")
        nullable = node.get("nullable") is True
        if isinstance(kind, list):
            if not all(isinstance(t, str) for t in kind):
                raise SchemaError(f"{path}.type", "type must be a string or an array of strings")
            nullable = nullable or "null" in kind
            types = [t for t in dict.fromkeys(kind) if t != "null"]
            if len(types) > 1:
                return self._split_types(node, types, path, refs, depth), nullable
            kind = types[0] if types else None
        if kind is not None and not isinstance(kind, str):
            raise SchemaError(f"{path}.type", "type must be a string or an array of strings")
        if kind is not None and kind not in JSON_TYPES:
            raise SchemaError(
                f"{path}.type", f"unknown type {kind!r}; JSON Schema types are {sorted(JSON_TYPES)}"
            )
        if kind == "null":
            nullable, kind = True, None

        out: dict[str, Any] = {}
        hints: list[str] = []
        kind = self._enum(node, path, kind, out, hints)
        if kind == "null":
            nullable, kind = True, None
        if isinstance(out.get("enum"), list) and None in out["enum"]:
            out["enum"] = [v for v in out["enum"] if v is not None]
            nullable = True

        if kind == "object" or (kind is None and ("properties" in node or "required" in node)):
            kind = self._object(node, path, refs, depth, out, hints)
        elif kind == "array" or (kind is None and ("items" in node or "prefixItems" in node)):
            kind = "array"
            self._array(node, path, refs, depth, out, hints)
        if not _HINT_KEYS.isdisjoint(node):  # most nodes have none: skip the walk over every hint
            for key, template in _HINTS.items():
                if key in node and (kind is None or key in _KEYS_BY_TYPE.get(kind, frozenset())):
                    hints.append(template.format(_json(node[key]).strip('"')))
        self._annotations(node, path, hints)
        if kind is not None:
            out = {"type": kind, **out}
        self._describe(node, path, out, hints)
        if nullable:
            out["nullable"] = True
        return out, nullable

    def _split_types(
        self, node: Mapping[str, Any], types: list[str], path: str, refs: tuple[str, ...], depth: int
    ) -> dict[str, Any]:
        shared = {k: v for k, v in node.items() if k not in _TYPED_KEYS and k != "type"}
        branches = []
        for t in types:
            branch = {k: v for k, v in node.items() if k in _KEYS_BY_TYPE.get(t, frozenset())}
            cleaned, _ = self.clean({"type": t, **branch}, f"{path}.type[{t}]", refs, depth + 1)
            branches.append(cleaned)
        out, _ = self.clean(shared, path, refs, depth + 1)
        out["anyOf"] = branches
        if "null" in node.get("type", []):
            out["nullable"] = True
        return out

    def _enum(
        self, node: Mapping[str, Any], path: str, kind: str | None, out: dict[str, Any], hints: list[str]
    ) -> str | None:
        if "const" in node:
            values = [node["const"]]
        elif "enum" in node:
            values = node["enum"]
            if not isinstance(values, list):
                raise SchemaError(f"{path}.enum", "enum must be an array")
        else:
            return kind
        present = [v for v in values if v is not None]
        if None in values:
            out["enum"] = [None]  # read back by the caller as "nullable"
        if present and all(isinstance(v, str) for v in present):
            out["enum"] = present if None not in values else [*present, None]
            return kind or "string"
        if present:
            kinds = {
                "boolean"
                if isinstance(v, bool)
                else "integer"
                if isinstance(v, int)
                else "number"
                if isinstance(v, float)
                else "string"
                if isinstance(v, str)
                else "array"
                if isinstance(v, list)
                else "object"
                for v in present
            }
            if kind is None and len(kinds) == 1:
                kind = next(iter(kinds))
            elif kind is None and kinds <= {"integer", "number"}:
                kind = "number"
            shown = ", ".join(_json(v) for v in present[:12]) + (", ..." if len(present) > 12 else "")
            hints.append(f"must be {shown}" if len(present) == 1 else f"one of: {shown}")
        if out.get("enum") == [None]:
            del out["enum"]
            return kind or "null"
        return kind

    def _object(
        self,
        node: Mapping[str, Any],
        path: str,
        refs: tuple[str, ...],
        depth: int,
        out: dict[str, Any],
        hints: list[str],
    ) -> str:
        properties = node.get("properties", {})
        if not isinstance(properties, Mapping):
            raise SchemaError(f"{path}.properties", "properties must be an object of schemas")
        required = node.get("required", [])
        if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
            raise SchemaError(f"{path}.required", "required must be an array of property names")
        cleaned: dict[str, Any] = {}
        nullable: set[str] = set()
        for name, schema in properties.items():
            cleaned[name], allows_null = self.clean(schema, f"{path}.properties.{name}", refs, depth + 1)
            if allows_null:
                nullable.add(name)
        extra = node.get("additionalProperties")
        if not cleaned:
            if path == "$":
                return "object"
            hints.append(
                "a JSON object written as a string"
                + (
                    f", values: {self._value_hint(extra, path, refs, depth)}"
                    if isinstance(extra, Mapping)
                    else ""
                )
            )
            return "string"
        out["properties"] = cleaned
        needed = [name for name in dict.fromkeys(required) if name in cleaned and name not in nullable]
        if needed:
            out["required"] = needed
        if extra is False:
            hints.append("no other properties")
        return "object"

    def _value_hint(self, schema: Mapping[str, Any], path: str, refs: tuple[str, ...], depth: int) -> str:
        cleaned, _ = self.clean(schema, f"{path}.additionalProperties", refs, depth + 1)
        return str(cleaned.get("type", "any"))

    def _array(
        self,
        node: Mapping[str, Any],
        path: str,
        refs: tuple[str, ...],
        depth: int,
        out: dict[str, Any],
        hints: list[str],
    ) -> None:
        items = node.get("items")
        tuple_items = node.get("prefixItems")
        if isinstance(items, list):
            tuple_items, items = items, None
        if tuple_items is not None:
            if not isinstance(tuple_items, list):
                raise SchemaError(f"{path}.prefixItems", "prefixItems must be an array of schemas")
            branches = [*tuple_items, *([items] if items is not None and items is not False else [])]
            if branches:  # one item schema that admits each position's, through the anyOf rules
                out["items"] = self.clean({"anyOf": branches}, f"{path}.prefixItems", refs, depth + 1)[0]
                hints.append(f"a sequence of {len(tuple_items)} items in this order")
        elif items is not None:
            if not isinstance(items, Mapping | bool):
                raise SchemaError(f"{path}.items", "items must be a schema")
            out["items"] = self.clean(items, f"{path}.items", refs, depth + 1)[0]
        if not out.get("items"):
            out["items"] = {"type": "string"}
            hints.append("items may be any value, written as strings")
        if node.get("uniqueItems") is True:
            hints.append("items must be unique")

    def _annotations(self, node: Mapping[str, Any], path: str, hints: list[str]) -> None:
        if "default" in node:
            hints.append(f"default: {_json(node['default'])}")
        examples = node.get("examples")
        if isinstance(examples, list) and examples:
            hints.append("e.g. " + ", ".join(_json(e) for e in examples[:2]))
        if node.get("deprecated") is True:
            hints.append("deprecated")

    def _describe(self, node: Mapping[str, Any], path: str, out: dict[str, Any], hints: list[str]) -> None:
        description = node.get("description")
        if description is not None and not isinstance(description, str):
            raise SchemaError(f"{path}.description", "description must be a string")
        title = node.get("title")
        if (
            not description
            and isinstance(title, str)
            and title
            and path != "$"
            and not _echoes_name(title, path)
        ):
            description = title
        if hints:
            note = "(" + "; ".join(hints) + ")"
            description = f"{description} {note}" if description else note
        if description:
            out["description"] = description


def _echoes_name(title: str, path: str) -> bool:
    """A generated title (pydantic's "Street" for ``street``) says nothing a description should repeat."""
    name = path.rsplit(".properties.", 1)[-1] if ".properties." in path else ""
    return title.replace(" ", "").replace("_", "").lower() == name.replace("_", "").replace("-", "").lower()
