"""The ``chat`` tool: one prompt to one model, streamed, with progress notifications."""

from __future__ import annotations

import inspect
from typing import Annotated

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ContentBlock, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from ..antigravity import AntigravityError
from ..antigravity.wire import (
    Content,
    GenerateContentRequest,
    GenerateContentResponse,
    GenerationConfig,
    Part,
)
from ..runtime import Runtime
from .errors import describe_error

# Finish reasons that still come with a usable answer.
_ANSWERED = frozenset({"STOP", "MAX_TOKENS", "FINISH_REASON_UNSPECIFIED"})


class Usage(BaseModel):
    prompt_tokens: int = Field(description="Tokens in the prompt.")
    output_tokens: int = Field(description="Tokens in the answer.")
    thinking_tokens: int = Field(description="Tokens the model spent thinking.")
    total_tokens: int


class ChatResult(BaseModel):
    text: str = Field(description="The model's answer.")
    model: str = Field(description="The model id that was asked.")
    model_version: str | None = Field(
        description="The model version that answered, as the upstream reports it."
    )
    finish_reason: str | None = Field(description="Why the model stopped: STOP, MAX_TOKENS, ...")
    usage: Usage
    response_id: str | None
    trace_id: str | None = Field(description="Upstream trace id, for bug reports.")


def build_request(
    prompt: str,
    *,
    system: str | None,
    temperature: float | None,
    max_output_tokens: int | None,
    stop: list[str] | None,
) -> GenerateContentRequest:
    # Unset (None) fields are left out of the wire JSON, so Nones can be passed straight through.
    has_config = any(v is not None for v in (temperature, max_output_tokens, stop))
    return GenerateContentRequest(
        contents=[Content(role="user", parts=[Part(text=prompt)])],
        system_instruction=Content(parts=[Part(text=system)]) if system else None,
        generation_config=GenerationConfig(
            temperature=temperature, max_output_tokens=max_output_tokens, stop_sequences=stop or None
        )
        if has_config
        else None,
    )


def answer_text(response: GenerateContentResponse) -> str:
    """The answer's text, thoughts left out."""
    if not response.candidates or response.candidates[0].content is None:
        return ""
    return "".join(p.text or "" for p in response.candidates[0].content.parts if not p.thought)


def to_result(response: GenerateContentResponse, model: str, trace_id: str | None) -> ChatResult:
    """Map a response to the tool's result, or raise ToolError when there is no answer."""
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason:
        detail = f": {feedback.block_reason_message}" if feedback.block_reason_message else "."
        raise ToolError(
            f"The upstream blocked the prompt ({feedback.block_reason}){detail} Rephrase it and retry."
        )
    text = answer_text(response)
    finish = response.candidates[0].finish_reason if response.candidates else None
    if finish is not None and finish not in _ANSWERED and not text:
        raise ToolError(
            f"Model {model} stopped without an answer (finish reason {finish}). "
            "Rephrase the prompt or try another model."
        )
    if not text and not response.candidates:
        raise ToolError(f"Model {model} returned no answer. Retry, or try another model.")
    usage = response.usage_metadata
    return ChatResult(
        text=text,
        model=model,
        model_version=response.model_version,
        finish_reason=finish,
        usage=Usage(
            prompt_tokens=usage.prompt_token_count if usage else 0,
            output_tokens=usage.candidates_token_count if usage else 0,
            thinking_tokens=usage.thoughts_token_count if usage else 0,
            total_tokens=usage.total_token_count if usage else 0,
        ),
        response_id=response.response_id,
        trace_id=trace_id,
    )


async def chat(
    prompt: Annotated[str, Field(min_length=1, description="What to ask the model.")],
    ctx: Context[Runtime],
    model: Annotated[str | None, Field(description="Model id; default: the server's default model.")] = None,
    system: Annotated[str | None, Field(description="System instruction for the model.")] = None,
    temperature: Annotated[float | None, Field(ge=0, le=2, description="Sampling temperature, 0-2.")] = None,
    max_output_tokens: Annotated[int | None, Field(ge=1, description="Longest answer, in tokens.")] = None,
    stop: Annotated[
        list[Annotated[str, Field(min_length=1)]] | None,
        Field(max_length=5, description="Up to 5 sequences that end the answer."),
    ] = None,
) -> Annotated[CallToolResult, ChatResult]:
    """Ask a Claude, Gemini or GPT-OSS model through Antigravity and return its answer.

    The answer streams from the upstream; clients that send a progress token get a
    progress notification per chunk, so long answers are not cut off by client timeouts.
    """
    runtime = ctx.request_context.lifespan_context
    model_id = model or runtime.settings.default_model
    request = build_request(
        prompt, system=system, temperature=temperature, max_output_tokens=max_output_tokens, stop=stop
    )
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
    result = to_result(response, model_id, trace_id)
    content: list[ContentBlock] = [TextContent(type="text", text=result.text)]
    if result.finish_reason == "MAX_TOKENS":
        content.append(TextContent(type="text", text="[The answer was cut at max_output_tokens.]"))
    return CallToolResult(content=content, structured_content=result.model_dump(mode="json"))


def register(server: MCPServer[Runtime]) -> None:
    server.add_tool(
        chat,
        title="Chat with a model",
        description=inspect.cleandoc(chat.__doc__ or ""),
        annotations=ToolAnnotations(read_only_hint=True, open_world_hint=True, idempotent_hint=False),
    )
