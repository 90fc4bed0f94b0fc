"""One question to one model: resolve the id against the live catalog, stream, return the answer."""

from __future__ import annotations

from dataclasses import dataclass

from .client import AntigravityClient, ChunkCallback
from .models import resolve_live
from .wire import GenerateContentRequest, GenerateContentResponse


@dataclass(frozen=True)
class Asked:
    model: str
    """The model that answered (a retired id asked for is forwarded to its successor)."""
    response: GenerateContentResponse
    trace_id: str | None


async def ask(
    client: AntigravityClient,
    requested: str,
    request: GenerateContentRequest,
    *,
    on_chunk: ChunkCallback | None = None,
    request_type: str = "agent",
) -> Asked:
    model = (await resolve_live(client, requested)).id
    response, trace_id = await client.stream(model, request, on_chunk=on_chunk, request_type=request_type)
    return Asked(model, response, trace_id)
