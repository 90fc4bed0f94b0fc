"""Caller functions → upstream function declarations, and the model's calls → the caller's terms.

Pure request building and response mapping for function calling; the chat tool wires it up.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from ..antigravity.wire import FunctionCall, FunctionDeclaration
from .arguments import restore_arguments
from .names import FunctionNames
from .schema import SchemaError, clean_json_schema
from .schema_check import check_schema, repair_schema, validate


class FunctionSpec(BaseModel):
    """A function the model may call: ``{name, description, parameters}``, or an MCP tool as listed."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    name: str = Field(min_length=1, max_length=256, description="The caller's own name for it.")
    description: str | None = Field(default=None, description="What it does, for the model.")
    parameters: dict[str, Any] | None = Field(
        default=None,
        validation_alias=AliasChoices("parameters", "inputSchema", "input_schema"),
        description="JSON Schema of its arguments (MCP tools call it inputSchema).",
    )

    @field_validator("parameters")
    @classmethod
    def _repaired(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        """Published schemas with clear mistakes are repaired once, here: every later use sees the repair."""
        return repair_schema(value) if value is not None else None


class FunctionCallResult(BaseModel):
    id: str = Field(description="Echo it back in function_results.")
    name: str = Field(description="The caller's own function name.")
    args: dict[str, Any]
    valid: bool = Field(description="Whether args satisfy the function's own JSON Schema.")
    errors: list[str] = Field(default_factory=list, description="Why args do not satisfy the schema.")


def upstream_parameters(schema: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The cleaned ``parameters`` to declare; ``None`` for functions that take no declared arguments.

    Cached by content: a session declares the same functions on every turn, and checking and
    cleaning 128 of them costs milliseconds each time. The result is shared: never mutate it."""
    if schema is None:
        return None
    outcome = _upstream_parameters(json.dumps(schema, sort_keys=True, ensure_ascii=False))
    if isinstance(outcome, SchemaError):
        raise SchemaError(outcome.path, outcome.problem)
    return outcome


@functools.lru_cache(maxsize=2048)
def _upstream_parameters(canonical: str) -> dict[str, Any] | SchemaError | None:
    schema = json.loads(canonical)
    try:
        check_schema(schema)
        cleaned = clean_json_schema(schema)
    except SchemaError as exc:
        return exc
    if cleaned.get("type") not in ("object", None) or "anyOf" in cleaned:
        return SchemaError("$", "a function's parameters must describe an object (type: object)")
    if not cleaned.get("properties"):
        return None
    return cleaned


PLACEHOLDER = "_placeholder"
PLACEHOLDER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        PLACEHOLDER: {"type": "boolean", "description": "Not used: this function takes no arguments."}
    },
}
"""Claude refuses a function without an input schema (``tools.N.custom.input_schema: Field required``), and
the upstream an object without properties: a function without arguments declares this optional flag, which
never reaches the caller."""


def declare(
    specs: Sequence[FunctionSpec], *, needs_schema: bool = False
) -> tuple[list[FunctionDeclaration], FunctionNames]:
    """Upstream declarations for ``specs``, and the name map that leads back to them.

    ``needs_schema`` (Claude): functions without arguments declare :data:`PLACEHOLDER_SCHEMA`."""
    names = FunctionNames()
    declarations = []
    seen: set[str] = set()
    for spec in specs:
        if spec.name in seen:
            raise ValueError(f"function {spec.name!r} is declared twice")
        seen.add(spec.name)
        try:
            parameters = upstream_parameters(spec.parameters)
        except SchemaError as exc:
            raise ValueError(f"function {spec.name!r}: parameters cannot be used: {exc}") from exc
        if parameters is None and needs_schema:
            parameters = PLACEHOLDER_SCHEMA
        declarations.append(
            FunctionDeclaration(
                name=names.add(spec.name), description=spec.description, parameters=parameters
            )
        )
    return declarations, names


def map_call(
    call: FunctionCall, names: FunctionNames, specs: Mapping[str, FunctionSpec], fallback_id: str
) -> FunctionCallResult:
    """One model call in the caller's terms: original name, restored and validated arguments."""
    original = names.original(call.name) or call.name
    spec = specs.get(original)
    args = dict(call.args)
    declared = (spec.parameters or {}).get("properties") if spec is not None else None
    if not (isinstance(declared, Mapping) and PLACEHOLDER in declared):
        args.pop(PLACEHOLDER, None)  # our placeholder, filled in by an eager model
    errors: list[str] = []
    if spec is None:
        errors.append(f"the model called {call.name!r}, which was not declared")
    elif spec.parameters is not None:
        restored = restore_arguments(spec.parameters, args)
        args = restored if isinstance(restored, dict) else args
        errors = validate(spec.parameters, args)
    return FunctionCallResult(
        id=call.id or fallback_id, name=original, args=args, valid=not errors, errors=errors
    )
