"""The ``vision`` tool: ask a model about one or more images."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from ...antigravity.wire import Content, GenerateContentRequest, GenerationConfig, Part
from ...conversation.turns import answer_text
from ...media.loader import MediaError, check_request_budget
from ..runtime import Runtime
from .common import Usage, ask_model, load_all, media_parts, resolve_model, usage_of
from .guard import ToolSpec

_RESOLUTIONS = {
    "low": "MEDIA_RESOLUTION_LOW",
    "medium": "MEDIA_RESOLUTION_MEDIUM",
    "high": "MEDIA_RESOLUTION_HIGH",
}


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
    runtime = ctx.request_context.lifespan_context
    sources = ([image] if image else []) + (images or [])
    if not sources:
        raise ToolError("Give an image (or images): a path, a URL, a data: URI or base64.")
    if len(sources) > runtime.settings.max_images:
        raise ToolError(
            f"{len(sources)} images given; at most {runtime.settings.max_images} per call "
            "(ANTIGRAVITY_MAX_IMAGES)."
        )
    loaded = await load_all(ctx, sources, "image")
    try:
        check_request_budget(loaded, prompt)
    except MediaError as exc:
        raise ToolError(str(exc)) from None
    model_id = await resolve_model(ctx, model or runtime.settings.vision_model)
    request = GenerateContentRequest(
        contents=[Content(role="user", parts=[*media_parts(loaded), Part(text=prompt)])],
        generation_config=GenerationConfig(media_resolution=_RESOLUTIONS[media_resolution])
        if media_resolution
        else None,
    )
    response, trace_id = await ask_model(ctx, model_id, request)
    text = answer_text(response)
    finish = response.candidates[0].finish_reason if response.candidates else None
    if not text:
        raise ToolError(
            f"Model {model_id} gave no answer about the image(s) (finish reason {finish}). "
            "Rephrase the question or try another model."
        )
    result = VisionResult(
        text=text,
        model=model_id,
        usage=usage_of(response),
        finish_reason=finish,
        response_id=response.response_id,
        trace_id=trace_id,
        images=[
            ImageSeen(
                source=m.source if len(m.source) < 200 else m.source[:197] + "...",
                mime_type=m.mime_type,
                bytes=len(m.data),
            )
            for m in loaded
        ],
    )
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=result.model_dump(mode="json", exclude_none=True),
    )


TOOL: ToolSpec = ToolSpec(
    vision,
    "Understand images",
    ToolAnnotations(read_only_hint=True, open_world_hint=True, idempotent_hint=True),
)
