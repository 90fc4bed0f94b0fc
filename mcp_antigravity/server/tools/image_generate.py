"""The ``image_generate`` tool: arguments to :class:`~mcp_antigravity.media.generation.ImageGeneration`,
the images inline or as links to the files they were saved to."""

from __future__ import annotations

import base64
from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, ContentBlock, ImageContent, ResourceLink, ToolAnnotations
from pydantic import BaseModel, Field

from ...antigravity.responses import Usage
from ...media.generation import AspectRatio, Pictures, Shape
from ..callers import caller_of
from ..resources import image_uri
from ..runtime import Runtime
from .common import progress, tool_result
from .guard import ToolSpec


class GeneratedImage(BaseModel):
    mime_type: str
    width: int
    height: int
    bytes: int
    path: str | None = Field(
        default=None,
        description="Where it was saved, when it was too large to return inline (callers on this machine only).",
    )
    uri: str | None = Field(
        default=None,
        description="Resource URI of the saved image (antigravity://images/...): read it with resources/read.",
    )


class ImageResult(BaseModel):
    images: list[GeneratedImage]
    text: str = Field(description="What the model said along with the images.")
    model: str
    aspect_ratio: str
    image_size: str
    usage: Usage
    saved_to_files: bool = Field(description="True when the images were saved and linked instead of inlined.")


async def image_generate(
    ctx: Context[Runtime],
    prompt: Annotated[
        str, Field(min_length=1, description="What to draw, or how to change the reference images.")
    ],
    aspect_ratio: Annotated[AspectRatio | None, Field(description="Shape of the image; default 1:1.")] = None,
    size: Annotated[
        str | None, Field(description="OpenAI-style WIDTHxHEIGHT; snapped to the nearest aspect ratio.")
    ] = None,
    image_size: Annotated[
        Literal["1K", "2K", "4K"] | None, Field(description="Resolution; default 1K.")
    ] = None,
    quality: Annotated[Literal["standard", "hd"] | None, Field(description="standard = 1K, hd = 2K.")] = None,
    n: Annotated[int, Field(ge=1, le=4, description="How many images (made in parallel).")] = 1,
    images: Annotated[
        list[str] | None,
        Field(
            max_length=8, description="Reference images to edit or draw from (paths, URLs, data:, base64)."
        ),
    ] = None,
    model: Annotated[str | None, Field(description="Image model; default: the server's.")] = None,
) -> Annotated[CallToolResult, ImageResult]:
    """Generate images from a prompt, or edit reference images.

    Small results come back inline; when the images would make the result too large for the
    client (about 1 MB), they are saved as files and returned as links with absolute paths.
    Refusals come back as errors with the reason and the model's own words.
    """
    async with progress(ctx, "drawing") as on_chunk:
        made = await ctx.request_context.lifespan_context.services.images.generate(
            prompt,
            Shape.of(aspect_ratio, size, image_size, quality),
            n=n,
            references=images,
            model=model,
            on_chunk=on_chunk,
            caller=caller_of(ctx),
        )
    return _delivered(made, local=not ctx.request_context.lifespan_context.remote)


def _delivered(made: Pictures, *, local: bool) -> CallToolResult:
    content: list[str | ContentBlock] = [made.text]
    described: list[GeneratedImage] = []
    for picture in made.pictures:
        info, saved = picture.info, picture.saved
        image = GeneratedImage(
            mime_type=info.mime_type, width=info.width, height=info.height, bytes=len(picture.data)
        )
        if saved is not None:
            image.uri = image_uri(saved.name)
            content.append(
                ResourceLink(
                    type="resource_link",
                    uri=image.uri,
                    name=saved.name,
                    mime_type=info.mime_type,
                    size=len(picture.data),
                    description=f"{info.width}x{info.height} generated image",
                )
            )
            if local and saved.path is not None:  # a caller on this machine may open the file itself
                image.path = str(saved.path)
                content.append(
                    f"Saved {info.width}x{info.height} image to {saved.path} (resource {image.uri})"
                )
            else:
                content.append(f"Saved {info.width}x{info.height} image as resource {image.uri}")
        else:
            content.append(
                ImageContent(
                    type="image", data=base64.b64encode(picture.data).decode(), mime_type=info.mime_type
                )
            )
        described.append(image)
    result = ImageResult(
        images=described,
        text=made.text,
        model=made.model,
        aspect_ratio=made.shape.aspect_ratio,
        image_size=made.shape.image_size,
        usage=made.usage,
        saved_to_files=made.saved,
    )
    return tool_result(content, result)


TOOL: ToolSpec = ToolSpec(
    image_generate,
    "Generate images",
    ToolAnnotations(
        read_only_hint=False, destructive_hint=False, open_world_hint=True, idempotent_hint=False
    ),
)
