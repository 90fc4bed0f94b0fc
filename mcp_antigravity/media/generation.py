"""Images from a prompt: the size asked for snapped to what the model makes, ``n`` requests in
parallel (a few at a time), refusals told with the model's own words, and delivery: inline
while the result stays small, else saved as private files.
"""

from __future__ import annotations

import base64
import math
import re
from dataclasses import dataclass
from typing import Literal, get_args

import anyio
import anyio.to_thread

from ..antigravity import AntigravityClient
from ..antigravity.asking import Asked, ask
from ..antigravity.client import ChunkCallback
from ..antigravity.responses import Usage, finish_reason, usage_of
from ..antigravity.wire import (
    Content,
    GenerateContentRequest,
    GenerateContentResponse,
    GenerationConfig,
    ImageConfig,
    Part,
)
from ..files import output_name
from .info import CorruptMedia, ImageInfo, image_info
from .loader import MediaError, MediaLoader, check_request_budget
from .parts import media_parts
from .saved import ImageStore, SavedImage

AspectRatio = Literal["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"]
ImageSize = Literal["1K", "2K", "4K"]
RATIOS: dict[str, float] = {r: int(r.split(":")[0]) / int(r.split(":")[1]) for r in get_args(AspectRatio)}
QUALITY: dict[str, ImageSize] = {"standard": "1K", "hd": "2K"}
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


def snap_size(size: str) -> tuple[str, ImageSize]:
    """``"1024x1792"`` → the nearest aspect ratio and an image size for its longer side."""
    match = re.fullmatch(r"\s*(\d{2,5})\s*[xX\u00d7]\s*(\d{2,5})\s*", size)  # x, X or the multiplication sign
    if not match:
        raise MediaError(f"size {size!r} is not WIDTHxHEIGHT, e.g. 1024x1792.")
    width, height = int(match.group(1)), int(match.group(2))
    if width < 16 or height < 16:
        raise MediaError(f"size {size!r}: width and height must each be at least 16 pixels, e.g. 1024x1792.")
    ratio = min(RATIOS, key=lambda r: abs(math.log(width / height) - math.log(RATIOS[r])))
    longest = max(width, height)
    return ratio, "1K" if longest <= 1600 else "2K" if longest <= 3200 else "4K"


@dataclass(frozen=True)
class Shape:
    """What the caller asked for, in the model's terms."""

    aspect_ratio: str
    image_size: ImageSize

    @classmethod
    def of(
        cls,
        aspect_ratio: str | None = None,
        size: str | None = None,
        image_size: ImageSize | None = None,
        quality: Literal["standard", "hd"] | None = None,
    ) -> Shape:
        if aspect_ratio and size:
            raise MediaError("Give aspect_ratio or size, not both.")
        if image_size and quality:
            raise MediaError("Give image_size or quality, not both.")
        ratio, from_size = snap_size(size) if size else (aspect_ratio or "1:1", None)
        return cls(ratio, image_size or (QUALITY[quality] if quality else None) or from_size or "1K")


@dataclass(frozen=True)
class Picture:
    data: bytes
    info: ImageInfo
    saved: SavedImage | None = None
    """Where it was saved, when the result would have been too large inline."""


@dataclass(frozen=True)
class Pictures:
    pictures: list[Picture]
    text: str
    """What the model said along with the images."""
    model: str
    shape: Shape
    usage: Usage

    @property
    def saved(self) -> bool:
        return any(p.saved is not None for p in self.pictures)


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


@dataclass(frozen=True)
class ImageGeneration:
    client: AntigravityClient
    loader: MediaLoader
    model: str
    saved: ImageStore
    inline_limit: int
    """The largest result returned inline (base64 grows images by 4/3); beyond it images are saved."""

    async def generate(
        self,
        prompt: str,
        shape: Shape,
        *,
        n: int = 1,
        references: list[str] | None = None,
        model: str | None = None,
        on_chunk: ChunkCallback | None = None,
        caller: str | None = None,
    ) -> Pictures:
        """``caller``'s images: saved ones are that caller's (see :mod:`.saved`)."""
        loaded = await self.loader.load_all(references or [], "image")
        check_request_budget(loaded, prompt)
        request = GenerateContentRequest(
            contents=[Content(role="user", parts=[*media_parts(loaded)[0], Part(text=prompt)])],
            generation_config=GenerationConfig(
                response_modalities=["TEXT", "IMAGE"],
                image_config=ImageConfig(aspect_ratio=shape.aspect_ratio, image_size=shape.image_size),
            ),
        )
        answered: list[Asked | None] = [None] * n
        limiter = anyio.CapacityLimiter(PARALLEL)

        async def make(index: int) -> None:
            async with limiter:
                answered[index] = await ask(
                    self.client, model or self.model, request, on_chunk=on_chunk, request_type="image_gen"
                )

        async with anyio.create_task_group() as group:
            for index in range(n):
                group.start_soon(make, index)
        asked = [a for a in answered if a is not None]
        responses = [a.response for a in asked]

        made: list[bytes] = []
        words: list[str] = []
        for response in responses:
            images, text = _images_of(response)
            if not images:
                said = f' The model said: "{text}"' if text else ""
                finish = finish_reason(response)
                if finish in IMAGE_FINISH_REASONS:
                    raise MediaError(
                        f"No image: the model stopped with {finish}.{said} Change the prompt and retry."
                    )
                raise MediaError(f"No image came back (finish reason {finish}).{said}")
            made.extend(images)
            if text and text not in words:
                words.append(text)
        text = " ".join(words)
        usage = sum((usage_of(r) for r in responses), Usage())
        pictures = await self._deliver(made, text, prompt, caller)
        return Pictures(pictures, text, asked[0].model, shape, usage)

    async def _deliver(self, made: list[bytes], text: str, prompt: str, caller: str | None) -> list[Picture]:
        infos = []
        for data in made:
            try:
                infos.append(image_info(data))
            except CorruptMedia as exc:
                raise MediaError(f"The upstream sent an image that cannot be read: {exc}.") from None
        inline_size = sum(4 * math.ceil(len(d) / 3) for d in made) + len(text)
        if inline_size <= self.inline_limit:
            return [Picture(data, info) for data, info in zip(made, infos, strict=True)]
        pictures = []
        for index, (data, info) in enumerate(zip(made, infos, strict=True), start=1):
            extension = info.mime_type.split("/")[1].replace("jpeg", "jpg")
            saved = await self.saved.save(caller, output_name(prompt, index, extension), data)
            pictures.append(Picture(data, info, saved))
        return pictures
