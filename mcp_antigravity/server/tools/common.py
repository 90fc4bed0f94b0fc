"""What every tool shares: one way to build a result, progress while the answer streams."""

from __future__ import annotations

from collections.abc import Sequence

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel

from ...antigravity.client import ChunkCallback
from ...antigravity.wire import GenerateContentResponse
from ..runtime import Runtime


def tool_result(texts: Sequence[str], structured: BaseModel) -> CallToolResult:
    """A tool's result: the non-empty ``texts`` as text blocks, and ``structured`` as its structured
    content (the tool's output schema is that model's)."""
    return CallToolResult(
        content=[TextContent(type="text", text=text) for text in texts if text],
        structured_content=structured.model_dump(mode="json", exclude_none=True),
    )


def progress_reporter(ctx: Context[Runtime], label: str) -> ChunkCallback:
    """A chunk callback that sends a progress notification per chunk (a no-op without a progress token)."""
    received = {"chunks": 0, "chars": 0}

    async def on_chunk(chunk: GenerateContentResponse) -> None:
        received["chunks"] += 1
        received["chars"] += len(chunk.answer_text)
        await ctx.report_progress(received["chunks"], None, f"{label}: {received['chars']} characters so far")

    return on_chunk
