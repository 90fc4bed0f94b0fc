"""Questions about images: load them, check the request fits, ask a vision model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..antigravity import AntigravityClient
from ..antigravity.asking import ask
from ..antigravity.client import ChunkCallback
from ..antigravity.responses import Usage, finish_reason, usage_of
from ..antigravity.wire import Content, GenerateContentRequest, GenerationConfig, Part
from .loader import MediaError, MediaLoader, MediaNote, check_request_budget
from .parts import media_parts

Resolution = Literal["low", "medium", "high"]
_RESOLUTIONS = {
    "low": "MEDIA_RESOLUTION_LOW",
    "medium": "MEDIA_RESOLUTION_MEDIUM",
    "high": "MEDIA_RESOLUTION_HIGH",
}


@dataclass(frozen=True)
class Seen:
    text: str
    model: str
    images: list[MediaNote]
    usage: Usage
    finish_reason: str | None
    response_id: str | None
    trace_id: str | None


@dataclass(frozen=True)
class Vision:
    client: AntigravityClient
    loader: MediaLoader
    model: str
    max_images: int

    async def ask(
        self,
        prompt: str,
        sources: list[str],
        *,
        model: str | None = None,
        resolution: Resolution | None = None,
        on_chunk: ChunkCallback | None = None,
    ) -> Seen:
        if not sources:
            raise MediaError("Give an image (or images): a path, a URL, a data: URI or base64.")
        if len(sources) > self.max_images:
            raise MediaError(
                f"{len(sources)} images given; at most {self.max_images} per call (ANTIGRAVITY_MAX_IMAGES)."
            )
        loaded = await self.loader.load_all(sources, "image")
        check_request_budget(loaded, prompt)
        parts, notes = media_parts(loaded)
        request = GenerateContentRequest(
            contents=[Content(role="user", parts=[*parts, Part(text=prompt)])],
            generation_config=GenerationConfig(media_resolution=_RESOLUTIONS[resolution])
            if resolution
            else None,
        )
        asked = await ask(self.client, model or self.model, request, on_chunk=on_chunk)
        response = asked.response
        text = response.answer_text
        finish = finish_reason(response)
        if not text:
            raise MediaError(
                f"Model {asked.model} gave no answer about the image(s) (finish reason {finish}). "
                "Rephrase the question or try another model."
            )
        return Seen(
            text, asked.model, notes, usage_of(response), finish, response.response_id, asked.trace_id
        )
