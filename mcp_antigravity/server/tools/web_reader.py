"""The ``web_reader`` tool: a URL as clean, paged Markdown or text, read directly or by the model."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated, Literal

import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from ...antigravity.wire import Content, GenerateContentRequest, Part, Tool
from ...conversation.turns import answer_text
from ...web.fetcher import FetchError, FetchRefused
from ...web.reader import Format, Page, UnreadableContent, read
from ..runtime import Runtime
from .common import ask_model, resolve_model
from .guard import ToolSpec

Engine = Literal["direct", "url_context"]
GONE = frozenset({404, 410})
QUESTION_CONTEXT = 200_000


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


class _Blocked(Exception):
    """The page cannot be read directly, for a reason the model's URL context may get around."""


async def _direct(runtime: Runtime, url: str, fmt: Format) -> tuple[Page, str]:
    settings = runtime.settings
    try:
        refusal = await runtime.robots.refusal(url) if settings.respect_robots else None
        if refusal is not None:
            raise _Blocked(refusal)
        fetched = await runtime.fetcher.fetch(
            url, accept="text/html,application/xhtml+xml,application/pdf,text/*;q=0.9,*/*;q=0.5"
        )
    except FetchRefused:
        raise
    except FetchError as exc:
        raise _Blocked(str(exc)) from exc
    if fetched.status in GONE:
        raise ToolError(f"{url} does not exist (HTTP {fetched.status}).")
    if not 200 <= fetched.status < 300:
        raise _Blocked(f"the site answered HTTP {fetched.status}")
    try:
        page = await anyio.to_thread.run_sync(read, fetched.content, fetched.content_type, fmt)
    except UnreadableContent as exc:
        raise ToolError(f"{url}: {exc}. For images use vision; for audio, transcribe.") from None
    if not page.content.strip():
        raise _Blocked("the page has no readable content without running its scripts")
    return page, fetched.url


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
    try:
        runtime.fetcher.check(url)  # an invalid or internal URL ends here: never read, never handed on
        page, final_url = await _direct(runtime, url, format)
    except FetchRefused as exc:
        raise ToolError(str(exc)) from None
    except _Blocked as exc:
        return await _by_url_context(ctx, url, format, question, max_length, start_index, str(exc))
    answer = None
    if question:
        prompt = (
            f"Answer the question from this page only.\n\nQuestion: {question}\n\nPage ({final_url}):\n"
            f"{page.content[:QUESTION_CONTEXT]}"
        )
        model_id = await resolve_model(ctx, runtime.settings.reader_model)
        response, _ = await ask_model(
            ctx, model_id, GenerateContentRequest(contents=[Content(role="user", parts=[Part(text=prompt)])])
        )
        answer = answer_text(response)
    part = page_of(answer if answer is not None else page.content, start_index, max_length)
    return _render(
        ReaderResult(
            url=url,
            final_url=final_url,
            engine="direct",
            title=page.title,
            kind=page.kind,
            answer=answer,
            **asdict(part),
        )
    )


async def _by_url_context(
    ctx: Context[Runtime],
    url: str,
    fmt: Format,
    question: str | None,
    max_length: int,
    start_index: int,
    reason: str,
) -> CallToolResult:
    runtime = ctx.request_context.lifespan_context
    model_id = await resolve_model(ctx, runtime.settings.reader_model)
    if question:
        prompt = f"Read {url} and answer from it only: {question}"
    else:
        prompt = (
            f"Read {url} and return its main content in full as {'Markdown' if fmt == 'markdown' else 'plain text'}"
            ", without commentary."
        )
    request = GenerateContentRequest(
        contents=[Content(role="user", parts=[Part(text=prompt)])], tools=[Tool(url_context={})]
    )
    response, _ = await ask_model(ctx, model_id, request)
    text = answer_text(response)
    metadata = response.candidates[0].url_context_metadata if response.candidates else None
    status = (
        next((m.url_retrieval_status for m in metadata.url_metadata if m.retrieved_url == url), None)
        if metadata
        else None
    )
    if status not in (None, "URL_RETRIEVAL_STATUS_SUCCESS"):
        kind = (status or "").rsplit("_", 1)[-1].lower()
        raise ToolError(
            f"{url} could not be read: directly, because {reason}; through the model's URL context, "
            f"because of {kind} ({status}). {text}".strip()
        )
    if not text.strip():
        raise ToolError(f"{url} could not be read: directly, because {reason}; the model returned nothing.")
    part = page_of(text, start_index, max_length)
    return _render(
        ReaderResult(
            url=url,
            final_url=url,
            engine="url_context",
            answer=text if question else None,
            retrieval_status=status,
            fallback_reason=reason,
            **asdict(part),
        )
    )


@dataclass(frozen=True)
class Slice:
    content: str
    start_index: int
    total_length: int
    truncated: bool
    next_start_index: int | None


def page_of(text: str, start_index: int, max_length: int) -> Slice:
    """The part of ``text`` from ``start_index``, at most ``max_length`` characters."""
    total = len(text)
    if start_index >= total and total:
        raise ToolError(f"start_index {start_index} is past the end of the content ({total} characters).")
    chunk = text[start_index : start_index + max_length]
    end = start_index + len(chunk)
    return Slice(chunk, start_index, total, end < total, end if end < total else None)


def _render(result: ReaderResult) -> CallToolResult:
    shown = result.content
    if result.truncated:
        end = result.next_start_index
        shown += (
            f"\n\n[Truncated: characters {result.start_index}-{end} of {result.total_length} shown. Call "
            f"web_reader again with start_index={end} for the rest.]"
        )
    header = f"{result.title}\n{result.final_url}\n\n" if result.title else ""
    return CallToolResult(
        content=[TextContent(type="text", text=header + shown)],
        structured_content=result.model_dump(mode="json", exclude_none=True),
    )


TOOL: ToolSpec = ToolSpec(
    web_reader,
    "Read a web page",
    ToolAnnotations(read_only_hint=True, open_world_hint=True, idempotent_hint=True),
)
