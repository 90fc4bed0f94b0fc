"""What every model-backed tool shares: usage numbers, progress while streaming, error translation."""

from __future__ import annotations

from typing import Literal

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from ...antigravity import AntigravityError
from ...antigravity.client import ChunkCallback
from ...antigravity.wire import Blob, GenerateContentRequest, GenerateContentResponse, Part
from ...conversation.turns import answer_text
from ...media.loader import Media, MediaError
from ..runtime import Runtime
from .errors import describe_error


class Usage(BaseModel):
    prompt_tokens: int = Field(description="Tokens in the prompt (media included).")
    output_tokens: int = Field(description="Tokens in the answer.")
    thinking_tokens: int = Field(description="Tokens the model spent thinking.")
    total_tokens: int


def usage_of(response: GenerateContentResponse) -> Usage:
    usage = response.usage_metadata
    if usage is None:
        return Usage(prompt_tokens=0, output_tokens=0, thinking_tokens=0, total_tokens=0)
    return Usage(
        prompt_tokens=usage.prompt_token_count,
        output_tokens=usage.candidates_token_count,
        thinking_tokens=usage.thoughts_token_count,
        total_tokens=usage.total_token_count,
    )


def progress_reporter(ctx: Context[Runtime], model_id: str) -> ChunkCallback:
    """A chunk callback that sends a progress notification per chunk (a no-op without a progress token)."""
    received = {"chunks": 0, "chars": 0}

    async def on_chunk(chunk: GenerateContentResponse) -> None:
        received["chunks"] += 1
        received["chars"] += len(answer_text(chunk))
        await ctx.report_progress(
            received["chunks"], None, f"{model_id}: {received['chars']} characters so far"
        )

    return on_chunk


async def resolve_model(ctx: Context[Runtime], requested: str) -> str:
    """The model id to call for ``requested``: a retired id goes to its successor (live catalog)."""
    return (await ctx.request_context.lifespan_context.model(requested)).id


async def ask_model(
    ctx: Context[Runtime], model_id: str, request: GenerateContentRequest, *, request_type: str = "agent"
) -> tuple[GenerateContentResponse, str | None]:
    """Stream one request with progress; upstream errors become tool errors that say what to do."""
    runtime = ctx.request_context.lifespan_context
    try:
        return await runtime.client.stream(
            model_id, request, on_chunk=progress_reporter(ctx, model_id), request_type=request_type
        )
    except AntigravityError as exc:
        raise await upstream_error(runtime, exc, model_id) from exc


async def upstream_error(runtime: Runtime, error: AntigravityError, model_id: str) -> ToolError:
    """The tool error for a failed upstream call, with advice that fits this setup."""
    return ToolError(describe_error(error, model_id, await runtime.client.facts()))


async def load_all(ctx: Context[Runtime], sources: list[str], kind: Literal["image", "audio"]) -> list[Media]:
    loader = ctx.request_context.lifespan_context.media
    loaded = []
    for number, source in enumerate(sources, start=1):
        try:
            loaded.append(await loader.load(source, kind))
        except MediaError as exc:
            label = f"{kind} {number}" if len(sources) > 1 else kind
            raise ToolError(f"{label}: {exc}") from None
    return loaded


def media_parts(media: list[Media]) -> list[Part]:
    return [Part(inline_data=Blob(mime_type=m.mime_type, data=m.base64)) for m in media]
