"""The ``web_search`` tool: an answer grounded in Google Search, with exact citations."""

from __future__ import annotations

import contextlib
from typing import Annotated

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from ...antigravity.wire import (
    Content,
    GenerateContentRequest,
    GenerateContentResponse,
    GroundingMetadata,
    Part,
    Tool,
)
from ...web.citations import Source, place_markers, sources_of
from ...web.fetcher import FetchError
from ..runtime import Runtime
from .common import Usage, ask_model, resolve_model, usage_of
from .guard import ToolSpec

RESOLVE_AT_ONCE = 8


class SourceOut(BaseModel):
    number: int
    title: str
    url: str = Field(description="The page itself when the redirect link could be resolved.")
    domain: str


class SearchResult(BaseModel):
    answer: str = Field(description="The answer, with [n] markers after the sentences each source supports.")
    sources: list[SourceOut]
    queries: list[str] = Field(description="The searches the model ran.")
    model: str
    grounded: bool = Field(description="False when the upstream reported no sources for this answer.")
    usage: Usage


async def _resolve_all(runtime: Runtime, metadata: GroundingMetadata) -> dict[str, str]:
    urls = [c.web.uri for c in metadata.grounding_chunks if c.web is not None and c.web.uri]
    resolved: dict[str, str] = {}
    limiter = anyio.CapacityLimiter(RESOLVE_AT_ONCE)

    async def resolve(url: str) -> None:
        async with limiter:
            with contextlib.suppress(FetchError):  # on failure the redirect link stays; it works for a while
                resolved[url] = await runtime.fetcher.resolve_redirect(url)

    async with anyio.create_task_group() as group:
        for url in dict.fromkeys(urls):
            group.start_soon(resolve, url)
    return resolved


def _texts(response: GenerateContentResponse) -> list[str]:
    content = response.candidates[0].content if response.candidates else None
    return [p.text or "" for p in content.parts if not p.thought] if content else []


def _shown(result: SearchResult) -> str:
    lines = [result.answer]
    if result.sources:
        lines.append("\nSources:")
        lines.extend(f"[{s.number}] {s.title} ({s.domain}): {s.url}" for s in result.sources)
    else:
        lines.append("\n(The upstream reported no sources for this answer.)")
    if result.queries:
        lines.append("\nSearched for: " + "; ".join(result.queries))
    return "\n".join(lines)


async def web_search(
    ctx: Context[Runtime],
    query: Annotated[str, Field(min_length=1, description="What to find out.")],
    model: Annotated[
        str | None, Field(description="A Gemini model with search; default: the server's.")
    ] = None,
    max_sources: Annotated[
        int | None, Field(ge=1, le=50, description="At most this many sources listed.")
    ] = None,
    resolve_links: Annotated[
        bool | None,
        Field(description="Replace expiring redirect links by the pages they lead to (default: on)."),
    ] = None,
) -> Annotated[CallToolResult, SearchResult]:
    """Answer a question with Google Search and cite the sources.

    Citation markers [n] sit right after the sentence each source supports; the numbered
    sources give title, URL and domain; the searches the model ran are listed.
    """
    runtime = ctx.request_context.lifespan_context
    model_id = await resolve_model(ctx, model or runtime.settings.search_model)
    request = GenerateContentRequest(
        contents=[Content(role="user", parts=[Part(text=query)])], tools=[Tool(google_search={})]
    )
    response, _ = await ask_model(ctx, model_id, request)
    texts = _texts(response)
    if not "".join(texts).strip():
        finish = response.candidates[0].finish_reason if response.candidates else None
        raise ToolError(f"Model {model_id} gave no answer (finish reason {finish}). Rephrase the query.")
    candidate = response.candidates[0]
    metadata = candidate.grounding_metadata
    sources: list[Source] = []
    if metadata is not None:
        resolve = runtime.settings.resolve_search_links if resolve_links is None else resolve_links
        resolved = await _resolve_all(runtime, metadata) if resolve else {}
        sources, numbers = sources_of(metadata, resolved, max_sources)
        texts = place_markers(texts, metadata, numbers)
    result = SearchResult(
        answer="".join(texts).strip(),
        sources=[SourceOut(number=s.number, title=s.title, url=s.url, domain=s.domain) for s in sources],
        queries=metadata.web_search_queries if metadata else [],
        model=model_id,
        grounded=metadata is not None,
        usage=usage_of(response),
    )
    return CallToolResult(
        content=[TextContent(type="text", text=_shown(result))],
        structured_content=result.model_dump(mode="json"),
    )


TOOL: ToolSpec = ToolSpec(
    web_search,
    "Search the web",
    ToolAnnotations(read_only_hint=True, open_world_hint=True, idempotent_hint=False),
)
