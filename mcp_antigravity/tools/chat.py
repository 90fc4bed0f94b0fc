"""The ``chat`` tool: ask a model, optionally with functions it may call and a JSON answer schema."""

from __future__ import annotations

import inspect
import json
from typing import Annotated, Any

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ContentBlock, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from ..antigravity import AntigravityError
from ..antigravity.wire import Content, GenerateContentResponse
from ..functions import FunctionCallResult, FunctionSpec
from ..pending import Pending
from ..runtime import Runtime
from ..turns import (
    FunctionMode,
    FunctionResult,
    Sampling,
    TurnError,
    answer_text,
    build_request,
    function_calls,
    generation_config,
    structured_data,
    tools_for,
    user_turn,
)
from .errors import describe_error

# Finish reasons that still come with a usable answer.
_ANSWERED = frozenset({"STOP", "MAX_TOKENS", "FINISH_REASON_UNSPECIFIED", "OTHER"})


class Usage(BaseModel):
    prompt_tokens: int = Field(description="Tokens in the prompt.")
    output_tokens: int = Field(description="Tokens in the answer.")
    thinking_tokens: int = Field(description="Tokens the model spent thinking.")
    total_tokens: int


class ChatResult(BaseModel):
    text: str = Field(description="The model's answer (empty when it only calls functions).")
    model: str = Field(description="The model id that was asked.")
    model_version: str | None = Field(
        description="The model version that answered, as the upstream reports it."
    )
    finish_reason: str | None = Field(description="Why the model stopped: STOP, MAX_TOKENS, ...")
    usage: Usage
    response_id: str | None
    trace_id: str | None = Field(description="Upstream trace id, for bug reports.")
    function_calls: list[FunctionCallResult] | None = Field(
        default=None,
        description="Calls the model asks for, under your own function names; answer with function_results.",
    )
    data: Any = Field(default=None, description="The answer parsed and validated against response_schema.")


def _usage(response: GenerateContentResponse) -> Usage:
    usage = response.usage_metadata
    if usage is None:
        return Usage(prompt_tokens=0, output_tokens=0, thinking_tokens=0, total_tokens=0)
    return Usage(
        prompt_tokens=usage.prompt_token_count,
        output_tokens=usage.candidates_token_count,
        thinking_tokens=usage.thoughts_token_count,
        total_tokens=usage.total_token_count,
    )


def _check_answered(response: GenerateContentResponse, model: str, has_calls: bool) -> str | None:
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason:
        detail = f": {feedback.block_reason_message}" if feedback.block_reason_message else "."
        raise ToolError(
            f"The upstream blocked the prompt ({feedback.block_reason}){detail} Rephrase it and retry."
        )
    finish = response.candidates[0].finish_reason if response.candidates else None
    if not response.candidates:
        raise ToolError(f"Model {model} returned no answer. Retry, or try another model.")
    if finish is not None and finish not in _ANSWERED and not answer_text(response) and not has_calls:
        raise ToolError(
            f"Model {model} stopped without an answer (finish reason {finish}). "
            "Rephrase the prompt or try another model."
        )
    return finish


def _call_summary(calls: list[FunctionCallResult]) -> str:
    lines = ["The model asks to call:"]
    for call in calls:
        note = "" if call.valid else f"  [arguments do not match the schema: {'; '.join(call.errors)}]"
        lines.append(f"- {call.name}({json.dumps(call.args, ensure_ascii=False)}) id={call.id}{note}")
    lines.append("Run them, then call chat again with function_results: [{id, name, result}, ...].")
    return "\n".join(lines)


async def chat(
    ctx: Context[Runtime],
    prompt: Annotated[
        str | None,
        Field(min_length=1, description="What to ask. Optional only when sending function_results."),
    ] = None,
    model: Annotated[str | None, Field(description="Model id; default: the server's default model.")] = None,
    system: Annotated[str | None, Field(description="System instruction for the model.")] = None,
    temperature: Annotated[float | None, Field(ge=0, le=2, description="Sampling temperature, 0-2.")] = None,
    max_output_tokens: Annotated[int | None, Field(ge=1, description="Longest answer, in tokens.")] = None,
    stop: Annotated[
        list[Annotated[str, Field(min_length=1)]] | None,
        Field(max_length=5, description="Up to 5 sequences that end the answer."),
    ] = None,
    functions: Annotated[
        list[FunctionSpec] | None,
        Field(
            max_length=128,
            description="Functions the model may call: {name, description, parameters}, or MCP "
            "tools exactly as tools/list gives them ({name, description, inputSchema}).",
        ),
    ] = None,
    function_mode: Annotated[
        FunctionMode, Field(description="auto: the model decides; any: it must call one; none: it may not.")
    ] = "auto",
    allowed_functions: Annotated[
        list[str] | None, Field(description="With function_mode 'any': the functions it may choose from.")
    ] = None,
    function_results: Annotated[
        list[FunctionResult] | None,
        Field(
            description="Results for the calls of the previous answer, one per call: [{id, name, result}]."
        ),
    ] = None,
    response_schema: Annotated[
        dict[str, Any] | None,
        Field(
            description="JSON Schema the answer must follow; the parsed, validated JSON comes back as data."
        ),
    ] = None,
) -> Annotated[CallToolResult, ChatResult]:
    """Ask a Claude, Gemini or GPT-OSS model through Antigravity and return its answer.

    Give it functions (or your MCP tools as listed) and it may answer with function_calls under
    your own names, arguments checked against your own schemas; send their results back with
    function_results. Give it response_schema and the answer comes back as validated JSON in data.
    The answer streams; clients that send a progress token get a notification per chunk.
    """
    runtime = ctx.request_context.lifespan_context
    pending: Pending | None = None
    contents: list[Content] = []
    if function_results:
        try:
            pending = runtime.pending.find([r.id for r in function_results])
        except KeyError as exc:
            raise ToolError(
                f"Unknown function call id {exc.args[0]!r}: the turn that asked for it is gone (it "
                "expired, or the server restarted). Ask again with the prompt."
            ) from None
        except ValueError as exc:
            raise ToolError(str(exc)) from None
        contents = list(pending.contents)
        functions = functions if functions is not None else pending.functions
        model = model or pending.model
        system = system if system is not None else pending.system
    elif prompt is None:
        raise ToolError("Give a prompt (or function_results answering the previous function calls).")
    model_id = model or runtime.settings.default_model
    specs = functions or []
    try:
        turn = user_turn(prompt, function_results or [], pending)
        tools, tool_config, names = tools_for(specs, function_mode, allowed_functions)
        config = generation_config(Sampling(temperature, max_output_tokens, stop), response_schema)
    except TurnError as exc:
        raise ToolError(str(exc)) from None
    contents.append(turn)
    request = build_request(contents, system=system, config=config, tools=tools, tool_config=tool_config)

    received = {"chunks": 0, "chars": 0}

    async def on_chunk(chunk: GenerateContentResponse) -> None:
        received["chunks"] += 1
        received["chars"] += len(answer_text(chunk))
        await ctx.report_progress(
            received["chunks"], None, f"{model_id}: {received['chars']} characters so far"
        )

    try:
        response, trace_id = await runtime.client.stream(model_id, request, on_chunk=on_chunk)
    except AntigravityError as exc:
        raise ToolError(describe_error(exc, model_id)) from exc

    calls, waiting = function_calls(response, names, specs)
    finish = _check_answered(response, model_id, bool(calls))
    text = answer_text(response)
    data = None
    if response_schema is not None and not calls:
        try:
            data = structured_data(text, response_schema)
        except TurnError as exc:
            raise ToolError(str(exc)) from None

    if pending is not None:
        runtime.pending.discard(pending)  # answered: only now, so a failed call can be retried
    if calls:
        model_turn = response.candidates[0].content or Content(role="model")
        runtime.pending.add(
            Pending(
                model=model_id,
                contents=[*contents, model_turn],
                system=system,
                functions=specs,
                calls=waiting,
            )
        )
    result = ChatResult(
        text=text,
        model=model_id,
        model_version=response.model_version,
        finish_reason=finish,
        usage=_usage(response),
        response_id=response.response_id,
        trace_id=trace_id,
        function_calls=calls or None,
        data=data,
    )
    content: list[ContentBlock] = []
    if text:
        content.append(TextContent(type="text", text=text))
    if calls:
        content.append(TextContent(type="text", text=_call_summary(calls)))
    if finish == "MAX_TOKENS":
        content.append(TextContent(type="text", text="[The answer was cut at max_output_tokens.]"))
    return CallToolResult(
        content=content, structured_content=result.model_dump(mode="json", exclude_none=True)
    )


def register(server: MCPServer[Runtime]) -> None:
    server.add_tool(
        chat,
        title="Chat with a model",
        description=inspect.cleandoc(chat.__doc__ or ""),
        annotations=ToolAnnotations(read_only_hint=True, open_world_hint=True, idempotent_hint=False),
    )
