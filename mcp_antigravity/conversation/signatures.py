"""The thought-signature cache: signatures kept apart from the history, put back where they belong.

The upstream signs some parts of a model turn (thoughts, the first function call, Gemini 3
answers) and demands those signatures back, unchanged, on the same part, when the history is
sent again, and only to the model that made them. MCP callers never see them, so the server
keeps them:

* :func:`split` takes every signature off a model turn and records it with the exact part that
  carried it: the turn's sequence number, the part's position, a digest of the part's content,
  the model, and when it was issued. The history itself is stored unsigned.
* :func:`attach` rebuilds the history for a request to ``model``: a signature goes back onto
  its part when position and content digest match, it was made by ``model`` and it is younger
  than the TTL. Where none can go back:

  - a thought part is left out (the upstream accepts thinking dropped, not thinking unsigned),
    and so is an empty text part (it only existed to carry a signature);
  - the first function call of a model turn gets the documented sentinel
    ``skip_thought_signature_validator`` when ``model`` requires a signature there (Gemini 3).

  ``repair=True`` attaches nothing at all: the fallback when the upstream still refuses a
  signature.

Bounds (count and age) and persistence belong to the store (:mod:`.store`), with the session.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..antigravity.models import ModelInfo
from ..antigravity.wire import Content, Part, to_wire

SENTINEL = "skip_thought_signature_validator"


@dataclass(frozen=True)
class Signature:
    """One signature taken off a model turn, with the exact part that carried it."""

    seq: int
    """The turn's sequence number in its session."""
    part: int
    """The part's position in the turn."""
    digest: str
    """The part's content, fingerprinted (see :func:`digest`)."""
    model: str
    """The model that made it: the only one it is sent back to."""
    signature: str
    created: float


def digest(part: dict[str, Any]) -> str:
    """A fingerprint of a part's content, its signature left out."""
    unsigned = {k: v for k, v in part.items() if k != "thoughtSignature"}
    return hashlib.sha256(json.dumps(unsigned, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def split(content: Content, seq: int, model: str, now: float) -> tuple[list[dict[str, Any]], list[Signature]]:
    """The turn's parts without signatures, and the signatures as cache entries."""
    parts: list[dict[str, Any]] = []
    entries: list[Signature] = []
    for index, part in enumerate(content.parts):
        raw = to_wire(part)
        signature = raw.pop("thoughtSignature", None)
        if isinstance(signature, str) and signature and signature != SENTINEL:
            entries.append(Signature(seq, index, digest(raw), model, signature, now))
        parts.append(raw)
    return parts, entries


@dataclass(frozen=True)
class HistoryTurn:
    seq: int
    role: str
    parts: list[dict[str, Any]]


def attach(
    turns: Iterable[HistoryTurn],
    signatures: Iterable[Signature],
    model: ModelInfo,
    *,
    now: float,
    ttl: float,
    repair: bool = False,
) -> list[Content]:
    """The history as ``model`` must receive it (see the module documentation)."""
    usable = (
        {}
        if repair
        else {(s.seq, s.part): s for s in signatures if s.model == model.id and now - s.created <= ttl}
    )
    history: list[Content] = []
    for turn in turns:
        if turn.role != "model":
            history.append(Content(role="user", parts=[Part.model_validate(p) for p in turn.parts]))
            continue
        parts: list[Part] = []
        first_call_seen = False
        for index, raw in enumerate(turn.parts):
            entry = usable.get((turn.seq, index))
            signature = entry.signature if entry is not None and entry.digest == digest(raw) else None
            is_call = "functionCall" in raw
            if signature is None and (raw.get("thought") or raw == {"text": ""}):
                continue  # unsigned thinking is refused; an empty text part only carried a signature
            if is_call and not first_call_seen and signature is None and model.needs_call_signatures:
                signature = SENTINEL
            first_call_seen = first_call_seen or is_call
            parts.append(
                Part.model_validate({**raw, **({"thoughtSignature": signature} if signature else {})})
            )
        if parts:
            history.append(Content(role="model", parts=parts))
    return history
