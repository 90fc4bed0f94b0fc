"""The ``web_search`` tool: arguments to :class:`~mcp_antigravity.web.search.WebSearch`, the answer
with its numbered sources as MCP content and structured content."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, Field

from ...antigravity.responses import Usage
from ..runtime import Runtime
from .common import progress, tool_result
from .guard import ToolSpec


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
    async with progress(ctx, "searching") as on_chunk:
        found = await ctx.request_context.lifespan_context.services.search.search(
            query,
            model=model,
            max_sources=max_sources,
            resolve_links=resolve_links,
            on_chunk=on_chunk,
        )
    result = SearchResult(
        answer=found.answer,
        sources=[
            SourceOut(number=s.number, title=s.title, url=s.url, domain=s.domain) for s in found.sources
        ],
        queries=found.queries,
        model=found.model,
        grounded=found.grounded,
        usage=found.usage,
    )
    return tool_result([_shown(result)], result)


TOOL: ToolSpec = ToolSpec(
    web_search,
    "Search the web",
    ToolAnnotations(read_only_hint=True, open_world_hint=True, idempotent_hint=False),
)
