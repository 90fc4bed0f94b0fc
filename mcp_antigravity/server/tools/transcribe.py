"""The ``transcribe`` tool: speech to text, with timestamps and speakers when asked."""

from __future__ import annotations

import json
from typing import Annotated, Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field, ValidationError

from ...antigravity.wire import Content, GenerateContentRequest, GenerationConfig, Part
from ...conversation.turns import answer_text
from ...media.loader import MediaError, check_request_budget
from ..runtime import Runtime
from .common import Usage, ask_model, load_all, media_parts, resolve_model, usage_of
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


def segment_schema(speakers: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "start": {"type": "number", "description": "Start, in seconds from the beginning"},
        "end": {"type": "number", "description": "End, in seconds from the beginning"},
        "text": {"type": "string", "description": "What was said"},
    }
    if speakers:
        fields["speaker"] = {
            "type": "string",
            "description": "Who speaks: Speaker 1, Speaker 2, ... or a name",
        }
    return {
        "type": "object",
        "properties": {
            "segments": {
                "type": "array",
                "items": {"type": "object", "properties": fields, "required": list(fields)},
            }
        },
        "required": ["segments"],
    }


def instructions(language: str | None, timestamps: bool, speakers: bool, context: str | None) -> str:
    lines = ["Transcribe this audio verbatim."]
    if language:
        lines.append(f"The speech is in {language}.")
    if timestamps or speakers:
        lines.append(
            "Split it into segments"
            + (" with start and end times in seconds" if timestamps else "")
            + (" and who speaks in each" if speakers else "")
            + "."
        )
    if context:
        lines.append(f"Context and vocabulary: {context}")
    return " ".join(lines)


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
    runtime = ctx.request_context.lifespan_context
    [loaded] = await load_all(ctx, [audio], "audio")
    ask = instructions(language, timestamps, speakers, prompt)
    try:
        check_request_budget([loaded], ask)
    except MediaError as exc:
        raise ToolError(
            f"{exc} Split the recording into parts, or compress it (for example to 64 kbps MP3 or "
            "Opus), and transcribe each part."
        ) from None
    model_id = await resolve_model(ctx, model or runtime.settings.transcribe_model)
    structured = timestamps or speakers
    request = GenerateContentRequest(
        contents=[Content(role="user", parts=[*media_parts([loaded]), Part(text=ask)])],
        generation_config=GenerationConfig(
            response_mime_type="application/json", response_schema=segment_schema(speakers)
        )
        if structured
        else None,
    )
    response, trace_id = await ask_model(ctx, model_id, request)
    text = answer_text(response)
    if not text:
        finish = response.candidates[0].finish_reason if response.candidates else None
        raise ToolError(f"Model {model_id} returned no transcript (finish reason {finish}).")
    segments = None
    if structured:
        try:
            segments = [Segment.model_validate(s) for s in json.loads(text)["segments"]]
        except (ValueError, KeyError, TypeError, ValidationError):
            raise ToolError(
                f"The model's segments are not in the requested shape. Raw answer: {text[:2000]}"
            ) from None
        text = " ".join(s.text for s in segments)
    result = TranscribeResult(
        text=text,
        segments=segments,
        model=model_id,
        mime_type=loaded.mime_type,
        bytes=len(loaded.data),
        usage=usage_of(response),
        trace_id=trace_id,
    )
    return CallToolResult(
        content=[TextContent(type="text", text=_shown(result))],
        structured_content=result.model_dump(mode="json", exclude_none=True),
    )


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
