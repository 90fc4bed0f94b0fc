"""The ``transcribe`` tool: arguments to :class:`~mcp_antigravity.media.transcription.Transcription`,
the transcript (or its segments) as MCP content and structured content."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, Field

from ...antigravity.responses import Usage
from ..runtime import Runtime
from .common import progress, tool_result
from .guard import ToolSpec


class Segment(BaseModel):
    start: float = Field(description="Seconds from the beginning.")
    end: float = Field(description="Seconds from the beginning.")
    speaker: str | None = Field(default=None, description="Who speaks, when speakers were asked for.")
    text: str


class TranscribeResult(BaseModel):
    text: str = Field(description="The whole transcript.")
    segments: list[Segment] | None = Field(default=None, description="With timestamps or speakers.")
    model: str
    mime_type: str = Field(description="The audio's type, read from its bytes.")
    bytes: int
    usage: Usage
    trace_id: str | None = None


async def transcribe(
    ctx: Context[Runtime],
    audio: Annotated[
        str, Field(description="The audio: a file path, a file:// or http(s) URL, a data: URI, or base64.")
    ],
    language: Annotated[str | None, Field(description="The spoken language, e.g. 'en' or 'Korean'.")] = None,
    timestamps: Annotated[bool, Field(description="Return segments with start and end times.")] = False,
    speakers: Annotated[
        bool, Field(description="Return segments that say who speaks (diarization).")
    ] = False,
    prompt: Annotated[str | None, Field(description="Context: topic, names, vocabulary to expect.")] = None,
    model: Annotated[
        str | None, Field(description="Model id; default: the server's transcription model.")
    ] = None,
) -> Annotated[CallToolResult, TranscribeResult]:
    """Transcribe speech from WAV, MP3, AIFF, AAC, OGG, FLAC, M4A or WebM audio.

    With timestamps or speakers the transcript comes back as segments [{start, end, speaker, text}].
    Up to about 15 MB of audio fits one call (the upstream's 20 MB request limit, base64 included).
    """
    async with progress(ctx, "transcribing") as on_chunk:
        heard = await ctx.request_context.lifespan_context.services.transcription.transcribe(
            audio,
            language=language,
            timestamps=timestamps,
            speakers=speakers,
            context=prompt,
            model=model,
            on_chunk=on_chunk,
        )
    result = TranscribeResult(
        text=heard.text,
        segments=[Segment(start=s.start, end=s.end, speaker=s.speaker, text=s.text) for s in heard.segments]
        if heard.segments is not None
        else None,
        model=heard.model,
        mime_type=heard.audio.mime_type,
        bytes=heard.audio.size,
        usage=heard.usage,
        trace_id=heard.trace_id,
    )
    return tool_result([_shown(result)], result)


def _shown(result: TranscribeResult) -> str:
    if not result.segments:
        return result.text
    return "\n".join(
        f"[{s.start:.1f}-{s.end:.1f}]" + (f" {s.speaker}:" if s.speaker else "") + f" {s.text}"
        for s in result.segments
    )


TOOL: ToolSpec = ToolSpec(
    transcribe,
    "Transcribe audio",
    ToolAnnotations(read_only_hint=True, open_world_hint=True, idempotent_hint=True),
)
