"""The ``vision`` tool: arguments to :class:`~mcp_antigravity.media.vision.Vision`, its answer as MCP
content and structured content."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, Field

from ...antigravity.responses import Usage
from ..runtime import Runtime
from .common import progress, tool_result
from .guard import ToolSpec


class ImageSeen(BaseModel):
    source: str = Field(description="Where the image came from.")
    mime_type: str = Field(description="Its type, read from its bytes.")
    bytes: int


class VisionResult(BaseModel):
    text: str = Field(description="The model's answer.")
    model: str
    images: list[ImageSeen]
    usage: Usage
    finish_reason: str | None = None
    response_id: str | None = None
    trace_id: str | None = None


async def vision(
    ctx: Context[Runtime],
    prompt: Annotated[str, Field(min_length=1, description="What to ask about the image(s).")],
    image: Annotated[
        str | None,
        Field(description="One image: a file path, a file:// or http(s) URL, a data: URI, or base64."),
    ] = None,
    images: Annotated[list[str] | None, Field(description="Several images, in the same forms.")] = None,
    model: Annotated[str | None, Field(description="A vision-capable model; default: the server's.")] = None,
    media_resolution: Annotated[
        Literal["low", "medium", "high"] | None,
        Field(description="How finely images are read (tokens vs detail)."),
    ] = None,
) -> Annotated[CallToolResult, VisionResult]:
    """Ask a model about images: describe, read text, compare, answer questions.

    Images may be file paths, file:// or http(s) URLs, data: URIs or base64; their type is read
    from their bytes. URLs to internal addresses are refused.
    """
    async with progress(ctx, "looking") as on_chunk:
        seen = await ctx.request_context.lifespan_context.services.vision.ask(
            prompt,
            ([image] if image else []) + (images or []),
            model=model,
            resolution=media_resolution,
            on_chunk=on_chunk,
        )
    result = VisionResult(
        text=seen.text,
        model=seen.model,
        usage=seen.usage,
        finish_reason=seen.finish_reason,
        response_id=seen.response_id,
        trace_id=seen.trace_id,
        images=[
            ImageSeen(
                source=m.source if len(m.source) < 200 else m.source[:197] + "...",
                mime_type=m.mime_type,
                bytes=m.size,
            )
            for m in seen.images
        ],
    )
    return tool_result([seen.text], result)


TOOL: ToolSpec = ToolSpec(
    vision,
    "Understand images",
    ToolAnnotations(read_only_hint=True, open_world_hint=True, idempotent_hint=True),
)
