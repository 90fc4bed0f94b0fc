"""The ``image_generate`` tool: images from a prompt, optionally editing reference images."""

from __future__ import annotations

import base64
import math
import re
from typing import Annotated, Literal, get_args

import anyio
import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ContentBlock, ImageContent, ResourceLink, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from ...antigravity.wire import (
    Content,
    GenerateContentRequest,
    GenerateContentResponse,
    GenerationConfig,
    ImageConfig,
    Part,
)
from ...files import output_name, write_private
from ...media.info import CorruptMedia, image_info
from ...media.loader import MediaError, check_request_budget
from ..runtime import Runtime
from .common import Usage, ask_model, load_all, media_parts, resolve_model, usage_of
from .guard import ToolSpec

AspectRatio = Literal["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"]
RATIOS: dict[str, float] = {r: int(r.split(":")[0]) / int(r.split(":")[1]) for r in get_args(AspectRatio)}
QUALITY = {"standard": "1K", "hd": "2K"}
IMAGE_FINISH_REASONS = frozenset(
    {
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "IMAGE_RECITATION",
        "IMAGE_OTHER",
        "NO_IMAGE",
        "SAFETY",
        "PROHIBITED_CONTENT",
        "RECITATION",
        "BLOCKLIST",
        "SPII",
    }
)
PARALLEL = 2


class GeneratedImage(BaseModel):
    mime_type: str
    width: int
    height: int
    bytes: int
    path: str | None = Field(
        default=None, description="Where it was saved, when it was too large to return inline."
    )
    uri: str | None = Field(default=None, description="file:// URI of the saved image.")


class ImageResult(BaseModel):
    images: list[GeneratedImage]
    text: str = Field(description="What the model said along with the images.")
    model: str
    aspect_ratio: str
    image_size: str
    usage: Usage
    saved_to_files: bool = Field(description="True when the images were saved and linked instead of inlined.")


def snap_size(size: str) -> tuple[str, str]:
    """``"1024x1792"`` → the nearest aspect ratio and an image size for its longer side."""
    match = re.fullmatch(r"\s*(\d{2,5})\s*[xX\u00d7]\s*(\d{2,5})\s*", size)  # x, X or the multiplication sign
    if not match:
        raise ToolError(f"size {size!r} is not WIDTHxHEIGHT, e.g. 1024x1792.")
    width, height = int(match.group(1)), int(match.group(2))
    if width < 16 or height < 16:
        raise ToolError(f"size {size!r}: width and height must each be at least 16 pixels, e.g. 1024x1792.")
    ratio = min(RATIOS, key=lambda r: abs(math.log(width / height) - math.log(RATIOS[r])))
    longest = max(width, height)
    return ratio, "1K" if longest <= 1600 else "2K" if longest <= 3200 else "4K"


def _images_of(response: GenerateContentResponse) -> tuple[list[bytes], str]:
    content = response.candidates[0].content if response.candidates else None
    images, words = [], []
    for part in content.parts if content else []:
        if part.thought:
            continue
        if part.inline_data is not None and part.inline_data.mime_type.startswith("image/"):
            images.append(base64.b64decode(part.inline_data.data))
        elif part.text:
            words.append(part.text)
    return images, "".join(words).strip()


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
    runtime = ctx.request_context.lifespan_context
    settings = runtime.settings
    if aspect_ratio and size:
        raise ToolError("Give aspect_ratio or size, not both.")
    if image_size and quality:
        raise ToolError("Give image_size or quality, not both.")
    ratio, size_from_size = snap_size(size) if size else (aspect_ratio or "1:1", None)
    resolution = image_size or (QUALITY[quality] if quality else None) or size_from_size or "1K"
    references = await load_all(ctx, images or [], "image")
    try:
        check_request_budget(references, prompt)
    except MediaError as exc:
        raise ToolError(str(exc)) from None
    model_id = await resolve_model(ctx, model or settings.image_model)
    request = GenerateContentRequest(
        contents=[Content(role="user", parts=[*media_parts(references), Part(text=prompt)])],
        generation_config=GenerationConfig(
            response_modalities=["TEXT", "IMAGE"],
            image_config=ImageConfig(aspect_ratio=ratio, image_size=resolution),
        ),
    )
    responses: list[GenerateContentResponse | None] = [None] * n
    limiter = anyio.CapacityLimiter(PARALLEL)

    async def make(index: int) -> None:
        async with limiter:
            responses[index], _ = await ask_model(ctx, model_id, request, request_type="image_gen")

    async with anyio.create_task_group() as group:
        for index in range(n):
            group.start_soon(make, index)

    made: list[bytes] = []
    words: list[str] = []
    for response in responses:
        assert response is not None
        pictures, text = _images_of(response)
        finish = response.candidates[0].finish_reason if response.candidates else None
        if not pictures:
            said = f' The model said: "{text}"' if text else ""
            if finish in IMAGE_FINISH_REASONS:
                raise ToolError(
                    f"No image: the model stopped with {finish}.{said} Change the prompt and retry."
                )
            raise ToolError(f"No image came back (finish reason {finish}).{said}")
        made.extend(pictures)
        if text and text not in words:
            words.append(text)
    return await _deliver(made, " ".join(words), model_id, ratio, resolution, prompt, responses, runtime)


async def _deliver(
    made: list[bytes],
    text: str,
    model_id: str,
    ratio: str,
    resolution: str,
    prompt: str,
    responses: list[GenerateContentResponse | None],
    runtime: Runtime,
) -> CallToolResult:
    infos = []
    for data in made:
        try:
            infos.append(image_info(data))
        except CorruptMedia as exc:
            raise ToolError(f"The upstream sent an image that cannot be read: {exc}.") from None
    inline_size = sum(4 * math.ceil(len(d) / 3) for d in made) + len(text)
    save = inline_size > runtime.settings.inline_result_limit
    described: list[GeneratedImage] = []
    content: list[ContentBlock] = [TextContent(type="text", text=text)] if text else []
    for index, (data, info) in enumerate(zip(made, infos, strict=True), start=1):
        image = GeneratedImage(
            mime_type=info.mime_type, width=info.width, height=info.height, bytes=len(data)
        )
        if save:
            extension = info.mime_type.split("/")[1].replace("jpeg", "jpg")
            path = await anyio.to_thread.run_sync(
                write_private, runtime.settings.images_path, output_name(prompt, index, extension), data
            )
            image.path, image.uri = str(path), path.as_uri()
            content.append(
                ResourceLink(
                    type="resource_link",
                    uri=image.uri,
                    name=path.name,
                    mime_type=info.mime_type,
                    size=len(data),
                    description=f"{info.width}x{info.height} generated image",
                )
            )
            content.append(TextContent(type="text", text=f"Saved {info.width}x{info.height} image to {path}"))
        else:
            content.append(
                ImageContent(type="image", data=base64.b64encode(data).decode(), mime_type=info.mime_type)
            )
        described.append(image)
    usage = Usage(prompt_tokens=0, output_tokens=0, thinking_tokens=0, total_tokens=0)
    for response in responses:
        if response is not None:
            one = usage_of(response)
            usage = Usage(**{k: getattr(usage, k) + getattr(one, k) for k in Usage.model_fields})
    result = ImageResult(
        images=described,
        text=text,
        model=model_id,
        aspect_ratio=ratio,
        image_size=resolution,
        usage=usage,
        saved_to_files=save,
    )
    return CallToolResult(
        content=content, structured_content=result.model_dump(mode="json", exclude_none=True)
    )


TOOL: ToolSpec = ToolSpec(
    image_generate,
    "Generate images",
    ToolAnnotations(
        read_only_hint=False, destructive_hint=False, open_world_hint=True, idempotent_hint=False
    ),
)
