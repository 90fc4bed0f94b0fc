"""Pure building of chat requests and reading of their answers (no I/O)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..antigravity.wire import (
    Content,
    FunctionCallingConfig,
    FunctionResponse,
    GenerateContentRequest,
    GenerateContentResponse,
    GenerationConfig,
    Part,
    ThinkingConfig,
    Tool,
    ToolConfig,
)
from .arguments import restore_arguments
from .errors import TurnError
from .functions import FunctionCallResult, FunctionSpec, declare, map_call
from .names import FunctionNames
from .schema import SchemaError, clean_json_schema
from .schema_check import check_schema, validate

FunctionMode = Literal["auto", "any", "none"]
WireMode = Literal["AUTO", "ANY", "NONE", "VALIDATED"]
_WIRE_MODES: dict[FunctionMode, WireMode] = {"auto": "VALIDATED", "any": "ANY", "none": "NONE"}


@dataclass(frozen=True)
class WaitingCall:
    """A call the model made that still waits for the caller's result."""

    wire_name: str
    """The name the model used."""
    model_call_id: str | None
    """The id the model gave the call, sent back with the result (``None`` when it gave none)."""


class FunctionResult(BaseModel):
    id: str = Field(description="The id of the call this answers, from function_calls.")
    name: str = Field(description="The function's name, as in function_calls.")
    result: Any = Field(description="What the function returned (any JSON).")


@dataclass(frozen=True)
class Sampling:
    temperature: float | None = None
    max_output_tokens: int | None = None
    stop: list[str] | None = None


def user_turn(
    prompt: str | None,
    results: Sequence[FunctionResult] = (),
    waiting_calls: Mapping[str, WaitingCall] | None = None,
) -> Content:
    """The user's turn: function responses (answering ``waiting_calls``) first, then the prompt text."""
    parts: list[Part] = []
    waiting_calls = waiting_calls or {}
    if results:
        unknown = [r.id for r in results if r.id not in waiting_calls]
        if unknown:
            raise TurnError(
                f"function_results answer calls this conversation is not waiting for: {', '.join(unknown)}"
            )
        missing = [call_id for call_id in waiting_calls if call_id not in {r.id for r in results}]
        if missing:
            raise TurnError(
                f"function_results must answer every call of the turn; missing ids: {', '.join(missing)}"
            )
        for result in results:
            waiting = waiting_calls[result.id]
            response = result.result if isinstance(result.result, dict) else {"result": result.result}
            call = FunctionResponse(name=waiting.wire_name, id=waiting.model_call_id, response=response)
            parts.append(Part(function_response=call))
    if prompt:
        parts.append(Part(text=prompt))
    return Content(role="user", parts=parts)


def tools_for(
    functions: Sequence[FunctionSpec],
    mode: FunctionMode,
    allowed: Sequence[str] | None,
    *,
    claude: bool = False,
) -> tuple[list[Tool] | None, ToolConfig | None, FunctionNames]:
    """Declarations and calling mode. For Claude (as every peer does): ``auto`` is sent as ``VALIDATED``
    (``any`` and ``none`` stay as asked), and every function declares an input schema."""
    try:
        declarations, names = declare(functions, needs_schema=claude)
    except ValueError as exc:
        raise TurnError(str(exc)) from exc
    if allowed and mode != "any":
        raise TurnError("allowed_functions only applies with function_mode 'any'")
    if not declarations:
        if mode != "auto" or allowed:
            raise TurnError("function_mode and allowed_functions need functions to choose from")
        return None, None, names
    unknown = [name for name in allowed or [] if name not in {f.name for f in functions}]
    if unknown:
        raise TurnError(f"allowed_functions names functions that were not given: {', '.join(unknown)}")
    config = None
    if mode != "auto" or claude:
        wire_mode = _WIRE_MODES[mode]
        config = ToolConfig(
            function_calling_config=FunctionCallingConfig(
                mode=wire_mode,
                allowed_function_names=[names.wire(n) for n in allowed] if allowed else None,
            )
        )
    return [Tool(function_declarations=declarations)], config, names


TOOL_RESULTS_RECEIVED = "[The function results above were received.]"
CONTINUE = "Continue, using the function results above."


def close_tool_loop(contents: list[Content]) -> list[Content]:
    """Contents whose open tool loop lost the thinking that opened it, closed for Claude thinking.

    With thinking on, Claude demands that the model turn whose calls the latest function
    responses answer begins with its thinking block ("Expected `thinking` or
    `redacted_thinking`, but found `tool_use`"), shown as a thought part or carried as the
    signature on the call. When both are gone (signatures expired or repaired away, or the
    model switched), the loop is closed as the peers do: the responses
    are followed by a short model turn and a user turn that continues from them, so the model
    answers from the results with fresh thinking. Anything else comes back as it was."""
    if not contents or not any(p.function_response for p in contents[-1].parts):
        return contents
    for turn in reversed(contents[:-1]):
        if turn.role == "model" and any(p.function_call for p in turn.parts):
            first = turn.parts[0] if turn.parts else None
            if (first is not None and first.thought) or any(p.thought_signature for p in turn.parts):
                return contents  # the thinking (or the signature standing for it) is there
            break
    else:
        return contents
    last = contents[-1]
    responses = [p for p in last.parts if p.function_response is not None]
    rest = [p for p in last.parts if p.function_response is None]
    return [
        *contents[:-1],
        Content(role="user", parts=responses),
        Content(role="model", parts=[Part(text=TOOL_RESULTS_RECEIVED)]),
        Content(role="user", parts=rest or [Part(text=CONTINUE)]),
    ]


def generation_config(
    sampling: Sampling, response_schema: Mapping[str, Any] | None, thinking: ThinkingConfig | None = None
) -> GenerationConfig | None:
    schema = None
    if response_schema is not None:
        try:
            check_schema(response_schema)
            schema = clean_json_schema(response_schema)
        except SchemaError as exc:
            raise TurnError(f"response_schema cannot be used: {exc}") from exc
    if all(
        v is None for v in (sampling.temperature, sampling.max_output_tokens, sampling.stop, schema, thinking)
    ):
        return None
    return GenerationConfig(
        temperature=sampling.temperature,
        max_output_tokens=sampling.max_output_tokens,
        stop_sequences=sampling.stop or None,
        response_mime_type="application/json" if schema is not None else None,
        response_schema=schema,
        thinking_config=thinking,
    )


def build_request(
    contents: list[Content],
    *,
    system: str | None,
    config: GenerationConfig | None,
    tools: list[Tool] | None,
    tool_config: ToolConfig | None,
    session_id: str | None = None,
) -> GenerateContentRequest:
    # Unset (None) fields are left out of the wire JSON, so Nones can be passed straight through.
    return GenerateContentRequest(
        contents=contents,
        system_instruction=Content(parts=[Part(text=system)]) if system else None,
        generation_config=config,
        tools=tools,
        tool_config=tool_config,
        session_id=session_id,
    )


def function_calls(
    response: GenerateContentResponse, names: FunctionNames, functions: Sequence[FunctionSpec]
) -> tuple[list[FunctionCallResult], dict[str, WaitingCall]]:
    """The model's calls in the caller's terms, and what to remember to send their results back."""
    content = response.candidates[0].content if response.candidates else None
    specs = {f.name: f for f in functions}
    results: list[FunctionCallResult] = []
    waiting: dict[str, WaitingCall] = {}
    for part in content.parts if content else []:
        if part.function_call is None:
            continue
        call = map_call(part.function_call, names, specs, fallback_id=f"call_{uuid.uuid4().hex[:24]}")
        results.append(call)
        waiting[call.id] = WaitingCall(wire_name=part.function_call.name, model_call_id=part.function_call.id)
    return results, waiting


def structured_data(text: str, schema: Mapping[str, Any]) -> Any:
    """The JSON answer checked against the caller's own schema; TurnError with the raw text otherwise."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TurnError(
            f"The model's answer is not valid JSON ({exc.msg} at character {exc.pos}). "
            f"Raw answer: {text[:2000]}"
        ) from exc
    data = restore_arguments(schema, data)
    errors = validate(schema, data)
    if errors:
        raise TurnError(
            f"The model's JSON does not match response_schema: {'; '.join(errors[:10])}. "
            f"Raw answer: {text[:2000]}"
        )
    return data
