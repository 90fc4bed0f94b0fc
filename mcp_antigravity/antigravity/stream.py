"""Pure helpers for streamed responses: read one SSE payload, merge chunks into one response."""

from __future__ import annotations

import json
from collections.abc import Iterable

from pydantic import ValidationError

from .errors import ResponseFormatError, error_from_body, stream_error
from .wire import Candidate, Content, GenerateContentResponse, Part, ResponseEnvelope


def read_payload(data: str, *, endpoint: str | None = None) -> ResponseEnvelope | None:
    """The envelope in one SSE ``data:`` payload; ``None`` for keep-alive payloads.

    An error object in the stream raises the same typed error a failed request would.
    """
    if not data.strip() or data.strip() == "[DONE]":
        return None
    try:
        payload = json.loads(data)
    except ValueError as exc:
        raise ResponseFormatError(
            f"The upstream sent a stream event that is not JSON: {data[:120]!r}"
        ) from exc
    error = stream_error(payload)
    if error is not None:
        trace = payload.get("traceId") if isinstance(payload, dict) else None
        raise error_from_body(
            None, payload, trace_id=trace if isinstance(trace, str) else None, endpoint=endpoint
        )
    return parse_envelope(payload)


def parse_envelope(payload: object) -> ResponseEnvelope:
    """Validate a response envelope, or raise :class:`ResponseFormatError` saying what was wrong."""
    try:
        return ResponseEnvelope.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ResponseFormatError(
            f"Unexpected response from the upstream at '{where}': {first['msg']}"
        ) from exc


def _mergeable(previous: Part, part: Part) -> bool:
    """Plain text continues the previous text part; a signed part is never merged."""
    return (
        previous.text is not None
        and part.text is not None
        and previous.thought_signature is None
        and part.thought_signature is None
        and bool(previous.thought) == bool(part.thought)
        and previous.model_extra == part.model_extra == {}
        and all(getattr(p, f) is None for p in (previous, part) for f in _NON_TEXT_FIELDS)
    )


_NON_TEXT_FIELDS = ("inline_data", "file_data", "function_call", "function_response")


def merge_chunks(chunks: Iterable[GenerateContentResponse]) -> GenerateContentResponse:
    """One response from the chunks of a stream, as if it had been asked for unary."""
    parts: list[Part] = []
    merged: dict[str, object] = {}
    candidate_fields: dict[str, object] = {}
    for chunk in chunks:
        for name in ("model_version", "response_id"):
            if getattr(chunk, name) is not None and name not in merged:
                merged[name] = getattr(chunk, name)
        for name in ("usage_metadata", "prompt_feedback"):
            if getattr(chunk, name) is not None:
                merged[name] = getattr(chunk, name)
        if not chunk.candidates:
            continue
        candidate = chunk.candidates[0]
        for name in ("finish_reason", "finish_message", "grounding_metadata", "url_context_metadata"):
            if getattr(candidate, name) is not None:
                candidate_fields[name] = getattr(candidate, name)
        for part in candidate.content.parts if candidate.content else []:
            if parts and _mergeable(parts[-1], part):
                parts[-1] = parts[-1].model_copy(update={"text": (parts[-1].text or "") + (part.text or "")})
            else:
                parts.append(part)
    candidates = []
    if parts or candidate_fields:
        candidates = [Candidate(content=Content(role="model", parts=parts), **candidate_fields)]  # type: ignore[arg-type]
    return GenerateContentResponse(candidates=candidates, **merged)  # type: ignore[arg-type]
