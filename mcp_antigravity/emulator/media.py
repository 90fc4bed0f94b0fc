"""What the emulated models make of media they receive (inline data), deterministically.

* Supported types only (images: PNG, JPEG, WebP, HEIC, HEIF; audio: WAV, MP3, AIFF, AAC, OGG,
  FLAC, M4A, WebM, Opus, plus PDF, plain text and video): another type is a 400
  "Unsupported MIME type"; an image whose bytes do not decode is a 400 "Unable to process
  input image".
* Images: the answer lists each image's decoded format and pixel size, so tests can prove the
  bytes arrived intact: ``[image 1: png 640x480; image 2: jpeg 32x16]``.
* Audio: the answer is a transcript naming the container, duration and sample rate
  (``Transcript of 3.0 s of WAV audio at 16000 Hz.``); when ``responseSchema`` asks for
  ``segments``, they cover the real duration in pieces of at most 5 s, with speakers taking
  turns when the schema has a ``speaker`` field.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

from ..media.info import CorruptMedia, audio_info, image_info
from .rpc import RpcError, bad_request

SUPPORTED = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/webp",
        "image/heic",
        "image/heif",
        "audio/wav",
        "audio/mp3",
        "audio/mpeg",
        "audio/aiff",
        "audio/aac",
        "audio/ogg",
        "audio/flac",
        "audio/m4a",
        "audio/webm",
        "audio/opus",
        "application/pdf",
        "text/plain",
        "video/mp4",
        "video/webm",
    }
)
SEGMENT_SECONDS = 5.0


def inline_media(content: dict[str, Any]) -> list[tuple[str, bytes]]:
    media = []
    for part in content.get("parts", []):
        blob = part.get("inlineData")
        if blob is not None:
            data = blob["data"]
            media.append(
                (
                    blob["mimeType"],
                    base64.b64decode(
                        data + "=" * (-len(data) % 4), altchars=b"-_" if "-" in data or "_" in data else None
                    ),
                )
            )
    return media


def check_media(request: dict[str, Any]) -> None:
    for i, content in enumerate(request.get("contents", [])):
        for mime_type, data in inline_media(content):
            if mime_type not in SUPPORTED:
                raise bad_request(f"Unsupported MIME type: {mime_type}", field=f"contents[{i}]")
            if mime_type.startswith("image/"):
                try:
                    image_info(data)
                except CorruptMedia:
                    raise RpcError(
                        400,
                        "Unable to process input image. Please retry or report in "
                        "https://developers.generativeai.google/guide/troubleshooting",
                    ) from None


def describe_images(media: list[tuple[str, bytes]]) -> str | None:
    described: list[str] = []
    for mime_type, data in media:
        if mime_type.startswith("image/"):
            info = image_info(data)
            described.append(
                f"image {len(described) + 1}: {info.mime_type.split('/')[1]} {info.width}x{info.height}"
            )
    return f"[{'; '.join(described)}]" if described else None


def transcribe(media: list[tuple[str, bytes]], config: dict[str, Any]) -> str | None:
    audio = [(mime_type, data) for mime_type, data in media if mime_type.startswith("audio/")]
    if not audio:
        return None
    try:
        info = audio_info(audio[0][1])
    except CorruptMedia:
        return "The audio could not be decoded."
    duration = info.duration or 0.0
    kind = info.mime_type.split("/")[1].upper()
    rate = f" at {info.sample_rate} Hz" if info.sample_rate else ""
    text = f"Transcript of {duration:.1f} s of {kind} audio{rate}."
    schema = config.get("responseSchema") or {}
    segments = schema.get("properties", {}).get("segments")
    if not segments:
        return text
    fields = segments.get("items", {}).get("properties", {})
    count = max(1, math.ceil(duration / SEGMENT_SECONDS))
    rows = []
    for n in range(count):
        row: dict[str, Any] = {
            "start": round(n * SEGMENT_SECONDS, 3),
            "end": round(min(duration, (n + 1) * SEGMENT_SECONDS), 3),
            "text": f"Segment {n + 1} of {count}.",
        }
        if "speaker" in fields:
            row["speaker"] = f"Speaker {n % 2 + 1}"
        rows.append({k: v for k, v in row.items() if k in fields})
    answer: dict[str, Any] = {"segments": rows}
    if "text" in schema.get("properties", {}):
        answer["text"] = text
    if "language" in schema.get("properties", {}):
        answer["language"] = "en"
    return json.dumps(answer)
