"""The ``web_reader`` tool: arguments to :class:`~mcp_antigravity.web.reading.WebReading`, the
reading as MCP content and structured content."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, Field

from ...web.reading import Engine, Reading
from ..runtime import Runtime
from .common import progress, tool_result
from .guard import ToolSpec


class ReaderResult(BaseModel):
    url: str = Field(description="The URL asked for.")
    final_url: str = Field(description="Where it led, after redirects.")
    engine: Engine = Field(description="direct: fetched here; url_context: read by the model (fallback).")
    title: str | None = None
    kind: str | None = Field(default=None, description="html, pdf or text (direct engine).")
    content: str = Field(description="This page of the content (or the answer, when a question was asked).")
    start_index: int
    total_length: int
    truncated: bool
    next_start_index: int | None = Field(default=None, description="Pass as start_index for the next part.")
    answer: str | None = Field(default=None, description="The answer to question, from the page.")
    retrieval_status: str | None = Field(default=None, description="URL context status (url_context engine).")
    fallback_reason: str | None = Field(default=None, description="Why the page was not read directly.")


async def web_reader(
    ctx: Context[Runtime],
    url: Annotated[str, Field(min_length=1, description="The http(s) URL to read.")],
    max_length: Annotated[
        int, Field(ge=100, le=500_000, description="Characters to return at most.")
    ] = 20_000,
    start_index: Annotated[
        int, Field(ge=0, description="Where to start, for the next part of a long page.")
    ] = 0,
    format: Annotated[
        Literal["markdown", "text"], Field(description="Markdown (links, headings) or plain text.")
    ] = "markdown",
    question: Annotated[
        str | None, Field(description="Answer this from the page instead of returning it.")
    ] = None,
) -> Annotated[CallToolResult, ReaderResult]:
    """Read a web page (HTML main content, PDF, text or JSON) as Markdown or text, page by page.

    Fetched directly when allowed (robots.txt respected, internal addresses refused); when the
    page cannot be read directly (blocked, unreachable, or JavaScript-only) the model reads it
    through URL context instead. The result says which engine served it.
    """
    runtime = ctx.request_context.lifespan_context
    async with progress(ctx, "reading") as on_chunk:
        reading = await runtime.services.reading.read(
            url,
            fmt=format,
            question=question,
            start_index=start_index,
            max_length=max_length,
            on_chunk=on_chunk,
        )
    return _render(reading)


def _render(reading: Reading) -> CallToolResult:
    part = reading.part
    shown = part.content
    if part.truncated:
        end = part.next_start_index
        shown += (
            f"\n\n[Truncated: characters {part.start_index}-{end} of {part.total_length} shown. Call "
            f"web_reader again with start_index={end} for the rest.]"
        )
    header = f"{reading.title}\n{reading.final_url}\n\n" if reading.title else ""
    result = ReaderResult(
        url=reading.url,
        final_url=reading.final_url,
        engine=reading.engine,
        title=reading.title,
        kind=reading.kind,
        content=part.content,
        start_index=part.start_index,
        total_length=part.total_length,
        truncated=part.truncated,
        next_start_index=part.next_start_index,
        answer=reading.answer,
        retrieval_status=reading.retrieval_status,
        fallback_reason=reading.fallback_reason,
    )
    return tool_result([header + shown], result)


TOOL: ToolSpec = ToolSpec(
    web_reader,
    "Read a web page",
    ToolAnnotations(read_only_hint=True, open_world_hint=True, idempotent_hint=True),
)
