"""The ``chat`` tool: arguments to a :class:`ChatRequest`, one turn of the conversation service,
the reply as MCP content and structured content."""

from __future__ import annotations

import json
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, Field

from ...antigravity.responses import Usage
from ...conversation.functions import FunctionCallResult, FunctionSpec
from ...conversation.service import ChatReply, ChatRequest
from ...conversation.thinking import ThinkingLevel
from ...conversation.turns import FunctionMode, FunctionResult, Sampling
from ..callers import caller_of
from ..runtime import Runtime
from .common import progress, tool_result
from .guard import ToolSpec


class ChatResult(BaseModel):
    text: str = Field(description="The model's answer (empty when it only calls functions).")
    model: str = Field(description="The model id that was asked.")
    session_id: str = Field(description="Pass it back to continue this conversation.")
    usage: Usage
    model_version: str | None = Field(
        default=None, description="The model version that answered, per the upstream."
    )
    finish_reason: str | None = Field(
        default=None, description="Why the model stopped: STOP, MAX_TOKENS, ..."
    )
    response_id: str | None = None
    trace_id: str | None = Field(default=None, description="Upstream trace id, for bug reports.")
    function_calls: list[FunctionCallResult] | None = Field(
        default=None,
        description="Calls the model asks for, under your own function names; answer with function_results.",
    )
    data: Any = Field(default=None, description="The answer parsed and validated against response_schema.")
    thoughts: list[str] | None = Field(default=None, description="Thought summaries, with include_thoughts.")
    history_repaired: bool | None = Field(
        default=None,
        description="True when stored thought signatures were refused and the turn retried without.",
    )
    requested_model: str | None = Field(
        default=None,
        description="The retired model id asked for, when the upstream forwarded it to `model`.",
    )


def _call_summary(calls: list[FunctionCallResult], session_id: str) -> str:
    lines = ["The model asks to call:"]
    for call in calls:
        note = "" if call.valid else f"  [arguments do not match the schema: {'; '.join(call.errors)}]"
        lines.append(f"- {call.name}({json.dumps(call.args, ensure_ascii=False)}) id={call.id}{note}")
    lines.append(
        f"Run them, then call chat again with session_id {session_id!r} and function_results: "
        "[{id, name, result}, ...]."
    )
    return "\n".join(lines)


async def chat(
    ctx: Context[Runtime],
    prompt: Annotated[
        str | None,
        Field(min_length=1, description="What to ask. Optional when sending function_results or reset."),
    ] = None,
    session_id: Annotated[
        str | None,
        Field(description="Continue this conversation (from an earlier result); omit to start a new one."),
    ] = None,
    reset: Annotated[bool, Field(description="Clear the session's history first (with session_id).")] = False,
    model: Annotated[
        str | None, Field(description="Model id; default: the session's model, else the server's default.")
    ] = None,
    system: Annotated[str | None, Field(description="System instruction; kept for the session.")] = None,
    temperature: Annotated[float | None, Field(ge=0, le=2, description="Sampling temperature, 0-2.")] = None,
    max_output_tokens: Annotated[
        int | None,
        Field(ge=1, le=1_048_576, description="Longest answer, in tokens (models have their own maximum)."),
    ] = None,
    stop: Annotated[
        list[Annotated[str, Field(min_length=1)]] | None,
        Field(max_length=5, description="Up to 5 sequences that end the answer."),
    ] = None,
    thinking: Annotated[
        ThinkingLevel | Annotated[int, Field(ge=0, le=65536)] | None,
        Field(description="How much the model thinks first: off, low, medium, high, or a token budget."),
    ] = None,
    include_thoughts: Annotated[
        bool,
        Field(description="Return the model's thought summaries in thoughts (never in the answer text)."),
    ] = False,
    functions: Annotated[
        list[FunctionSpec] | None,
        Field(
            max_length=128,
            description="Functions the model may call: {name, description, parameters}, or MCP tools exactly as "
            "tools/list gives them ({name, description, inputSchema}). Kept for the session.",
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

    Every answer belongs to a session (its id comes back as session_id): pass session_id to
    continue the conversation, which the server keeps across restarts. Give it functions (or
    your MCP tools as listed) and it may answer with function_calls under your own names,
    arguments checked against your own schemas; send their results back with function_results.
    Give it response_schema and the answer comes back as validated JSON in data. thinking sets
    how much the model thinks; include_thoughts returns its thought summaries. The answer
    streams; clients that send a progress token get progress as it comes (at most four a second).
    """
    runtime = ctx.request_context.lifespan_context
    async with progress(ctx, model or "answer") as on_chunk:
        reply = await runtime.conversations.take_turn(
            ChatRequest(
                prompt=prompt,
                session_id=session_id,
                reset=reset,
                model=model,
                system=system,
                sampling=Sampling(temperature, max_output_tokens, stop),
                thinking=thinking,
                include_thoughts=include_thoughts,
                functions=functions,
                function_mode=function_mode,
                allowed_functions=allowed_functions,
                function_results=function_results or (),
                response_schema=response_schema,
                caller=caller_of(ctx),
            ),
            on_chunk=on_chunk,
        )
    return _result(reply)


def _result(reply: ChatReply) -> CallToolResult:
    answer = reply.answer
    if answer is None:
        return tool_result(
            [f"Session {reply.session_id} is cleared."],
            ChatResult(text="", model=reply.model, session_id=reply.session_id, usage=Usage()),
        )
    notes = [
        answer.text,
        _call_summary(reply.function_calls, reply.session_id) if reply.function_calls else "",
        "[The answer was cut at max_output_tokens.]" if answer.cut else "",
        f"[{reply.requested_model} is retired upstream; {reply.model} answered instead.]"
        if reply.requested_model
        else "",
        "[The upstream refused the stored thought signatures; the turn was retried without them.]"
        if reply.history_repaired
        else "",
    ]
    return tool_result(
        notes,
        ChatResult(
            text=answer.text,
            model=reply.model,
            model_version=answer.model_version,
            finish_reason=answer.finish_reason,
            usage=answer.usage,
            response_id=answer.response_id,
            trace_id=reply.trace_id,
            session_id=reply.session_id,
            function_calls=reply.function_calls or None,
            data=reply.data,
            thoughts=reply.thoughts,
            history_repaired=reply.history_repaired or None,
            requested_model=reply.requested_model,
        ),
    )


TOOL: ToolSpec = ToolSpec(
    chat,
    "Chat with a model",
    # it keeps conversations on the server, and reset=true erases one's history
    ToolAnnotations(read_only_hint=False, destructive_hint=True, open_world_hint=True, idempotent_hint=False),
)
