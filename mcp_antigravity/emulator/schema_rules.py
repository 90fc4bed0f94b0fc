"""The JSON Schema subset the upstream accepts in ``parameters`` and ``responseSchema``.

Reference section 8, enforced keyword by keyword:

* accepted: ``type`` (one of object, string, number, integer, boolean, array; a single
  value, never a list), ``properties``, ``required``, ``description``, ``enum`` (strings),
  ``items``, ``anyOf``, ``allOf``, ``oneOf``, ``additionalProperties``, ``nullable``, and the
  constraints the Schema message carries (``format``, ``pattern``, ``minimum``, ``maximum``,
  ``minLength``, ``maxLength``, ``minItems``, ``maxItems``, ``minProperties``,
  ``maxProperties``, ``propertyOrdering``);
* ``title`` only at the root: the reference flags nested titles as unsafe, so the emulator
  rejects them (stricter than some backends, never laxer);
* everything else is an unknown name, as the upstream's proto parser says: ``const``,
  ``$ref``, ``$defs``, ``definitions``, ``$schema``, ``$id``, ``default``, ``examples``,
  ``$comment``, ``patternProperties``, ``prefixItems``, ...;
* ``required`` may only name properties that exist;
* an ``object`` needs non-empty ``properties``; an ``array`` needs ``items``.

A property's NAME is data: a property called ``const`` or ``$ref`` is fine.
"""

from __future__ import annotations

from typing import Any

from .proto import BOOL, FLOAT, INT64, STRING, Enum, Repeated, camel, invalid_value, snake, unknown_name
from .rpc import bad_request

TYPES = frozenset({"STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT"})
_TYPE_ENUM = Enum("Type", TYPES)
_SCALARS = {
    "format": STRING,
    "description": STRING,
    "nullable": BOOL,
    "pattern": STRING,
    "minimum": FLOAT,
    "maximum": FLOAT,
    "minLength": INT64,
    "maxLength": INT64,
    "minItems": INT64,
    "maxItems": INT64,
    "minProperties": INT64,
    "maxProperties": INT64,
    "propertyOrdering": Repeated(STRING),
    "required": Repeated(STRING),
    "enum": Repeated(STRING),
}
_SUBSCHEMA_LISTS = ("anyOf", "allOf", "oneOf")
_KNOWN = frozenset(
    {*_SCALARS, *_SUBSCHEMA_LISTS, "type", "properties", "items", "additionalProperties", "title"}
)


def _rule(path: str, message: str) -> Any:
    return bad_request(f"* GenerateContentRequest.{path}: {message}", field=path)


def check_schema(value: Any, path: str, *, root: bool = True) -> dict[str, Any]:
    """Check one schema node at ``path`` (snake_case, as in the upstream's messages)."""
    if not isinstance(value, dict):
        raise invalid_value(path, "type.googleapis.com/google.ai.generativelanguage.v1beta.Schema", value)
    checked: dict[str, Any] = {}
    for key, item in value.items():
        name = key if key in _KNOWN else camel(key)
        if name not in _KNOWN or (key != name and snake(name) != key) or (name == "title" and not root):
            raise unknown_name(key, path)
        child = f"{path}.{snake(name)}"
        if name == "type":
            checked[name] = _TYPE_ENUM.check(item, child, key, path).upper()
        elif name == "title":
            checked[name] = STRING.check(item, child, key, path)
        elif name in _SCALARS:
            checked[name] = _SCALARS[name].check(item, child, key, path)
        elif name == "properties":
            checked[name] = _check_properties(item, child, key, path)
        elif name == "items":
            checked[name] = check_schema(item, child, root=False)
        elif name == "additionalProperties":
            checked[name] = item if isinstance(item, bool) else check_schema(item, child, root=False)
        else:  # anyOf / allOf / oneOf
            if not isinstance(item, list):
                raise invalid_value(
                    child, "type.googleapis.com/google.ai.generativelanguage.v1beta.Schema", item
                )
            checked[name] = [check_schema(s, f"{child}[{i}]", root=False) for i, s in enumerate(item)]
    _check_shape(checked, path)
    return checked


def _check_properties(value: Any, path: str, key: str, parent: str) -> dict[str, Any]:
    if isinstance(value, list):
        raise unknown_name(key, parent, "Proto field is not repeating, cannot start list.")
    if not isinstance(value, dict):
        raise invalid_value(path, "type.googleapis.com/google.protobuf.Map", value)
    # The upstream reports map entries by position: properties[2].value.
    return {
        name: check_schema(schema, f"{path}[{i}].value", root=False)
        for i, (name, schema) in enumerate(value.items())
    }


def _check_shape(schema: dict[str, Any], path: str) -> None:
    properties = schema.get("properties", {})
    for i, name in enumerate(schema.get("required", [])):
        if name not in properties:
            raise _rule(f"{path}.required[{i}]", "property is not defined")
    kind = schema.get("type")
    if kind == "OBJECT" and not properties:
        raise _rule(f"{path}.properties", "should be non-empty for OBJECT type")
    if kind == "ARRAY" and "items" not in schema:
        raise _rule(f"{path}.items", "missing field.")
