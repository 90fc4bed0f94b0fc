"""Speech to text: the instructions, the segment schema when timestamps or speakers are asked
for, and the segments read back in the shape asked for."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..antigravity import AntigravityClient
from ..antigravity.asking import ask
from ..antigravity.client import ChunkCallback
from ..antigravity.responses import Usage, finish_reason, usage_of
from ..antigravity.wire import Content, GenerateContentRequest, GenerationConfig, Part
from .loader import MediaError, MediaLoader, MediaNote, check_request_budget
from .parts import media_parts


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    speaker: str | None = None


@dataclass(frozen=True)
class Transcript:
    text: str
    segments: list[Segment] | None
    model: str
    audio: MediaNote
    usage: Usage
    trace_id: str | None


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


def _segments(text: str) -> list[Segment]:
    try:
        raw = json.loads(text)["segments"]
        segments = [
            Segment(
                start=float(s["start"]),
                end=float(s["end"]),
                text=str(s["text"]),
                speaker=None if s.get("speaker") is None else str(s["speaker"]),
            )
            for s in raw
        ]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise MediaError(
            f"The model's segments are not in the requested shape. Raw answer: {text[:2000]}"
        ) from None
    return segments


@dataclass(frozen=True)
class Transcription:
    client: AntigravityClient
    loader: MediaLoader
    model: str

    async def transcribe(
        self,
        source: str,
        *,
        language: str | None = None,
        timestamps: bool = False,
        speakers: bool = False,
        context: str | None = None,
        model: str | None = None,
        on_chunk: ChunkCallback | None = None,
    ) -> Transcript:
        loaded = await self.loader.load_all([source], "audio")
        said = instructions(language, timestamps, speakers, context)
        try:
            check_request_budget(loaded, said)
        except MediaError as exc:
            raise MediaError(
                f"{exc} Split the recording into parts, or compress it (for example to 64 kbps MP3 or "
                "Opus), and transcribe each part."
            ) from None
        structured = timestamps or speakers
        parts, [note] = media_parts(loaded)
        request = GenerateContentRequest(
            contents=[Content(role="user", parts=[*parts, Part(text=said)])],
            generation_config=GenerationConfig(
                response_mime_type="application/json", response_schema=segment_schema(speakers)
            )
            if structured
            else None,
        )
        asked = await ask(self.client, model or self.model, request, on_chunk=on_chunk)
        text = asked.response.answer_text
        if not text:
            raise MediaError(
                f"Model {asked.model} returned no transcript (finish reason {finish_reason(asked.response)})."
            )
        segments = _segments(text) if structured else None
        if segments is not None:
            text = " ".join(s.text for s in segments)
        return Transcript(text, segments, asked.model, note, usage_of(asked.response), asked.trace_id)
