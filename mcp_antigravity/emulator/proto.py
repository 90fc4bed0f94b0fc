"""A small proto3-JSON reader: the upstream parses requests with one, and so must we.

Every message lists its fields; anything else is an unknown name, and a value of the wrong
JSON type is an invalid value, with the upstream's wording and snake_case paths. Field names
are accepted in both JSON (camelCase) and proto (snake_case) spelling, as proto parsers do;
the checked copy that comes back always uses camelCase.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .rpc import RpcError, bad_request

_PACKAGE = "type.googleapis.com/google.ai.generativelanguage.v1beta."


def snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def invalid_value(path: str, type_name: str, value: Any) -> RpcError:
    message = f"Invalid JSON payload received. Invalid value at '{path}' ({type_name}), {_shown(value)}"
    return bad_request(message, field=path)


def unknown_name(name: str, parent: str, why: str = "Cannot find field.") -> RpcError:
    where = f" at '{parent}'" if parent else ""
    message = f'Invalid JSON payload received. Unknown name "{name}"{where}: {why}'
    return bad_request(message, field=parent or name)


class Kind:
    """A field's type; ``check`` returns the checked (camelCase) value or raises RpcError."""

    def check(self, value: Any, path: str, name: str, parent: str) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class Scalar(Kind):
    proto_type: str  # TYPE_STRING, TYPE_BOOL, TYPE_INT32, TYPE_INT64, TYPE_FLOAT, TYPE_BYTES

    def check(self, value: Any, path: str, name: str, parent: str) -> Any:
        if isinstance(value, list):
            raise unknown_name(name, parent, "Proto field is not repeating, cannot start list.")
        ok = {
            "TYPE_STRING": lambda v: isinstance(v, str),
            "TYPE_BOOL": lambda v: isinstance(v, bool),
            "TYPE_INT32": lambda v: _is_integer(v, 32),
            "TYPE_INT64": lambda v: _is_integer(v, 64),
            "TYPE_FLOAT": _is_number,
            "TYPE_BYTES": _is_base64,
        }[self.proto_type]
        if not ok(value):
            raise invalid_value(path, self.proto_type, value)
        return value


def _is_integer(value: Any, bits: int) -> bool:
    """A JSON integer (or its string form) that fits a signed ``bits``-bit proto field."""
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        if not value.is_integer():
            return False
        value = int(value)
    if isinstance(value, str):
        if re.fullmatch(r"-?\d+", value) is None:
            return False
        value = int(value)
    return isinstance(value, int) and -(2 ** (bits - 1)) <= value < 2 ** (bits - 1)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return False
        return True
    return False


def _is_base64(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    compact = value.strip()
    try:
        if "-" in compact or "_" in compact:
            base64.urlsafe_b64decode(compact + "=" * (-len(compact) % 4))
        else:
            base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Enum(Kind):
    type_name: str
    values: frozenset[str]

    def check(self, value: Any, path: str, name: str, parent: str) -> Any:
        if isinstance(value, list):
            raise unknown_name(name, parent, "Proto field is not repeating, cannot start list.")
        if not isinstance(value, str) or value.upper() not in self.values:
            raise invalid_value(path, _PACKAGE + self.type_name, value)
        return value


@dataclass(frozen=True)
class AnyJson(Kind):
    """google.protobuf.Struct / Value: any JSON (``object_only`` for Struct)."""

    object_only: bool = False

    def check(self, value: Any, path: str, name: str, parent: str) -> Any:
        if self.object_only and not isinstance(value, dict):
            raise invalid_value(path, "type.googleapis.com/google.protobuf.Struct", value)
        return value


@dataclass(frozen=True)
class Custom(Kind):
    """A type with its own checker (the Schema message)."""

    checker: Callable[[Any, str], Any]

    def check(self, value: Any, path: str, name: str, parent: str) -> Any:
        return self.checker(value, path)


@dataclass(frozen=True)
class Repeated(Kind):
    item: Kind

    def check(self, value: Any, path: str, name: str, parent: str) -> Any:
        if not isinstance(value, list):
            return [self.item.check(value, f"{path}[0]", name, parent)]
        return [self.item.check(v, f"{path}[{i}]", name, parent) for i, v in enumerate(value)]


@dataclass
class Message(Kind):
    type_name: str
    fields: dict[str, Kind] = field(default_factory=dict)

    def check(self, value: Any, path: str, name: str, parent: str) -> Any:
        if isinstance(value, list):
            raise unknown_name(name, parent, "Proto field is not repeating, cannot start list.")
        if not isinstance(value, dict):
            raise invalid_value(path, _PACKAGE + self.type_name, value)
        return self.read(value, path)

    def read(self, value: dict[str, Any], path: str) -> dict[str, Any]:
        checked: dict[str, Any] = {}
        for key, item in value.items():
            json_name = key if key in self.fields else camel(key)
            if json_name not in self.fields or (key != json_name and snake(json_name) != key):
                raise unknown_name(key, path)
            if json_name in checked:
                raise bad_request(
                    f"Invalid JSON payload received. Duplicate field \"{key}\" at '{path}'.", field=path
                )
            if item is None:
                continue
            child = f"{path}.{snake(json_name)}" if path else snake(json_name)
            checked[json_name] = self.fields[json_name].check(item, child, key, path)
        return checked


STRING = Scalar("TYPE_STRING")
BOOL = Scalar("TYPE_BOOL")
INT32 = Scalar("TYPE_INT32")
INT64 = Scalar("TYPE_INT64")
FLOAT = Scalar("TYPE_FLOAT")
BYTES = Scalar("TYPE_BYTES")
STRUCT = AnyJson(object_only=True)
VALUE = AnyJson()
