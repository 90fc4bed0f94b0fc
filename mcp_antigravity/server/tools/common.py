"""What every tool shares: one way to build a result, progress while the answer streams."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, ContentBlock, TextContent
from pydantic import BaseModel

from ...antigravity.client import ChunkCallback
from ...antigravity.wire import GenerateContentResponse
from ..runtime import Runtime


def tool_result(blocks: Sequence[str | ContentBlock], structured: BaseModel) -> CallToolResult:
    """A tool's result: ``blocks`` as its content (a string is a text block; empty ones are left
    out), and ``structured`` as its structured content (the tool's output schema is that model's)."""
    return CallToolResult(
        content=[TextContent(type="text", text=b) if isinstance(b, str) else b for b in blocks if b],
        structured_content=structured.model_dump(mode="json", exclude_none=True),
    )


PROGRESS_INTERVAL = 0.25
"""Seconds between two progress notifications while an answer streams in (each costs the
transport a message; a few per second tell the caller as much as one per chunk)."""


Report = Callable[[float, float | None, str | None], Awaitable[None]]


def progress_reporter(ctx: Context[Runtime], label: str) -> ChunkCallback:
    """:func:`coalesced_progress` through the call's context."""
    return coalesced_progress(ctx.report_progress, label)


def coalesced_progress(
    report: Report, label: str, *, clock: Callable[[], float] = time.monotonic
) -> ChunkCallback:
    """A chunk callback that tells the caller how far the answer is: on the first chunk, then at
    most every :data:`PROGRESS_INTERVAL` (a no-op without a progress token)."""
    received = {"chunks": 0, "chars": 0}
    last: list[float] = []

    async def on_chunk(chunk: GenerateContentResponse) -> None:
        received["chunks"] += 1
        received["chars"] += len(chunk.answer_text)
        now = clock()
        if last and now - last[0] < PROGRESS_INTERVAL:
            return
        last[:] = [now]
        await report(received["chunks"], None, f"{label}: {received['chars']} characters so far")

    return on_chunk
