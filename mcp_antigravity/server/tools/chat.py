"""The ``chat`` tool: ask a model, optionally with functions it may call and a JSON answer schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Annotated, Any

import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ContentBlock, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from ...antigravity import AntigravityError, BadRequestError
from ...antigravity.models import ModelInfo
from ...antigravity.wire import (
    Content,
    GenerateContentRequest,
    GenerateContentResponse,
    GenerationConfig,
    Tool,
    ToolConfig,
)
from ...conversation.functions import FunctionCallResult, FunctionSpec
from ...conversation.names import FunctionNames
from ...conversation.schema_check import repair_schema
from ...conversation.sessions import UnknownSession
from ...conversation.store import StoredSession
from ...conversation.thinking import ThinkingError, ThinkingLevel, thinking_config
from ...conversation.turns import (
    FunctionMode,
    FunctionResult,
    Sampling,
    TurnError,
    WaitingCall,
    answer_text,
    build_request,
    close_tool_loop,
    function_calls,
    generation_config,
    structured_data,
    tools_for,
    user_turn,
)
from ..runtime import Runtime
from .common import Usage, progress_reporter, upstream_error, usage_of
from .guard import ToolSpec

# Finish reasons that still come with a usable answer.
_ANSWERED = frozenset({"STOP", "MAX_TOKENS", "FINISH_REASON_UNSPECIFIED", "OTHER"})


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


def _claude_thinks(info: ModelInfo, config: GenerationConfig | None) -> bool:
    """Whether this Claude request thinks (then an open tool loop must start with its thinking)."""
    if info.family != "claude" or info.thinking == "none":
        return False
    thinking = config.thinking_config if config is not None else None
    return not info.can_disable_thinking or bool(thinking and thinking.thinking_budget)


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
    streams; clients that send a progress token get a notification per chunk.
    """
    runtime = ctx.request_context.lifespan_context
    if function_results and session_id is None:
        session_id = await runtime.sessions.session_for_call(function_results[0].id)
        if session_id is None:
            raise ToolError(
                f"Unknown function call id {function_results[0].id!r}: the turn that asked for it is "
                "gone (its session expired or was reset). Ask again with the prompt."
            )
    if prompt is None and not function_results and not reset:
        raise ToolError("Give a prompt (or function_results answering the previous function calls).")
    if response_schema is not None:
        response_schema = repair_schema(response_schema)  # clear mistakes repaired; the rest checked later
    ask = Ask(
        prompt,
        model,
        system,
        Sampling(temperature, max_output_tokens, stop),
        thinking,
        include_thoughts,
        functions,
        function_mode,
        allowed_functions,
        function_results or [],
        response_schema,
    )
    try:
        async with runtime.sessions.hold(session_id) as session:
            if reset:
                await runtime.sessions.reset(session)
                if prompt is None and not function_results:
                    return _cleared(session, runtime.settings.default_model)
            return await _take_turn(ctx, runtime, session, ask)
    except UnknownSession:
        raise ToolError(
            f"Unknown session {session_id!r}: it expired, was deleted, or never existed. Omit "
            "session_id to start a new conversation."
        ) from None


@dataclass(frozen=True)
class Ask:
    """One chat call's arguments, as the turn logic needs them."""

    prompt: str | None
    model: str | None
    system: str | None
    sampling: Sampling
    thinking: ThinkingLevel | int | None
    include_thoughts: bool
    functions: list[FunctionSpec] | None
    function_mode: FunctionMode
    allowed_functions: list[str] | None
    function_results: list[FunctionResult]
    response_schema: dict[str, Any] | None


def _cleared(session: StoredSession, default_model: str) -> CallToolResult:
    result = ChatResult(
        text="",
        model=session.model or default_model,
        session_id=session.id,
        usage=Usage(prompt_tokens=0, output_tokens=0, thinking_tokens=0, total_tokens=0),
    )
    return CallToolResult(
        content=[TextContent(type="text", text=f"Session {session.id} is cleared.")],
        structured_content=result.model_dump(mode="json", exclude_none=True),
    )


async def _take_turn(
    ctx: Context[Runtime], runtime: Runtime, session: StoredSession, ask: Ask
) -> CallToolResult:
    resolved = await runtime.model(ask.model or session.model or runtime.settings.default_model)
    info, model_id = resolved.info, resolved.id
    specs = (
        ask.functions
        if ask.functions is not None
        else [FunctionSpec.model_validate(f) for f in session.functions]
    )
    system = ask.system if ask.system is not None else session.system
    waiting = {call_id: WaitingCall(**call) for call_id, call in session.waiting.items()}
    if waiting and not ask.function_results:
        raise ToolError(
            f"Session {session.id} waits for the results of calls {', '.join(waiting)}: send "
            "function_results, or reset=true to start over."
        )

    def prepare() -> tuple[
        Content, list[Tool] | None, ToolConfig | None, FunctionNames, GenerationConfig | None
    ]:
        turn = user_turn(ask.prompt, ask.function_results, waiting)
        tools, tool_config, names = tools_for(
            specs, ask.function_mode, ask.allowed_functions, claude=info.family == "claude"
        )
        thinking, max_output = thinking_config(
            info, ask.thinking, ask.include_thoughts, ask.sampling.max_output_tokens
        )
        config = generation_config(
            replace(ask.sampling, max_output_tokens=max_output), ask.response_schema, thinking
        )
        return turn, tools, tool_config, names, config

    try:  # the caller's schemas are checked and cleaned off the event loop: bounded, but CPU work
        turn, tools, tool_config, names, config = await anyio.to_thread.run_sync(prepare)
    except (TurnError, ThinkingError) as exc:
        raise ToolError(str(exc)) from None

    def request_for(repair: bool) -> GenerateContentRequest:
        contents = [*runtime.sessions.contents_for(session, info, repair=repair), turn]
        if _claude_thinks(info, config):
            contents = close_tool_loop(contents)
        return build_request(
            contents,
            system=system,
            config=config,
            tools=tools,
            tool_config=tool_config,
            session_id=session.upstream_id,
        )

    response, trace_id, repaired = await _ask_upstream(ctx, runtime, model_id, request_for)
    calls, new_waiting = await anyio.to_thread.run_sync(function_calls, response, names, specs)
    finish = _check_answered(response, model_id, bool(calls))
    text = answer_text(response)
    data = None
    if ask.response_schema is not None and not calls:
        try:
            data = await anyio.to_thread.run_sync(structured_data, text, ask.response_schema)
        except TurnError as exc:
            raise ToolError(str(exc)) from None

    answer = response.candidates[0].content or Content(role="model")
    session.system = system
    session.functions = [spec.model_dump(exclude_none=True) for spec in specs]
    session.waiting = {call_id: asdict(call) for call_id, call in new_waiting.items()}
    await runtime.sessions.commit(session, turn, answer, model_id)

    thoughts = [p.text for p in answer.parts if p.thought and p.text] if ask.include_thoughts else None
    result = ChatResult(
        text=text,
        model=model_id,
        model_version=response.model_version,
        finish_reason=finish,
        usage=usage_of(response),
        response_id=response.response_id,
        trace_id=trace_id,
        session_id=session.id,
        function_calls=calls or None,
        data=data,
        thoughts=thoughts,
        history_repaired=repaired or None,
        requested_model=resolved.forwarded_from,
    )
    content: list[ContentBlock] = []
    if text:
        content.append(TextContent(type="text", text=text))
    if calls:
        content.append(TextContent(type="text", text=_call_summary(calls, session.id)))
    if finish == "MAX_TOKENS":
        content.append(TextContent(type="text", text="[The answer was cut at max_output_tokens.]"))
    if resolved.forwarded_from:
        content.append(
            TextContent(
                type="text",
                text=f"[{resolved.forwarded_from} is retired upstream; {model_id} answered instead.]",
            )
        )
    if repaired:
        content.append(
            TextContent(
                type="text",
                text="[The upstream refused the stored thought signatures; the "
                "turn was retried without them.]",
            )
        )
    return CallToolResult(
        content=content, structured_content=result.model_dump(mode="json", exclude_none=True)
    )


async def _ask_upstream(
    ctx: Context[Runtime],
    runtime: Runtime,
    model_id: str,
    request_for: Callable[[bool], GenerateContentRequest],
) -> tuple[GenerateContentResponse, str | None, bool]:
    """Stream the turn; a refused signature is retried once with the history repaired."""
    on_chunk = progress_reporter(ctx, model_id)
    for repair in (False, True):
        try:
            response, trace_id = await runtime.client.stream(model_id, request_for(repair), on_chunk=on_chunk)
            return response, trace_id, repair
        except BadRequestError as exc:
            if repair or "signature" not in exc.message.lower():
                raise await upstream_error(runtime, exc, model_id) from exc
        except AntigravityError as exc:
            raise await upstream_error(runtime, exc, model_id) from exc
    raise AssertionError("unreachable")


TOOL: ToolSpec = ToolSpec(
    chat,
    "Chat with a model",
    ToolAnnotations(read_only_hint=True, open_world_hint=True, idempotent_hint=False),
)
