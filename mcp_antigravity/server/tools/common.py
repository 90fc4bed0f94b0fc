"""What every tool shares: one way to build a result, progress while the answer streams."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

import anyio
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


class Progress:
    """Progress for one call: on the first chunk, at most every :data:`PROGRESS_INTERVAL` while
    chunks arrive, and a heartbeat ``heartbeat`` seconds after the last notification while nothing
    arrives (the first byte, silent thinking, an image being drawn, pages being read), saying what
    the call waits for and for how long. Clients that reset their timeout on progress then never
    cut a healthy call. The progress value counts chunks and heartbeats, so it only grows."""

    def __init__(
        self, report: Report, label: str, *, heartbeat: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._report = report
        self._label = label
        self._heartbeat = heartbeat
        self._clock = clock
        self._started = self._last = clock()
        self._sent = False
        self._chunks = self._chars = self._beats = 0

    async def on_chunk(self, chunk: GenerateContentResponse) -> None:
        self._chunks += 1
        self._chars += len(chunk.answer_text)
        now = self._clock()
        if self._sent and now - self._last < PROGRESS_INTERVAL:
            return
        await self._send(now, f"{self._label}: {self._chars} characters so far")

    async def beat(self) -> None:
        """One heartbeat, when nothing was sent for ``heartbeat`` seconds."""
        now = self._clock()
        if now - self._last < self._heartbeat:
            return
        self._beats += 1
        waited = f"{now - self._started:.0f} s"
        if self._chunks:
            message = f"{self._label}: {self._chars} characters so far, still working ({waited})"
        else:
            message = f"{self._label}: waiting for the upstream's answer ({waited})"
        await self._send(now, message)

    async def keep_alive(self) -> None:
        while True:
            await anyio.sleep(max(0.0, self._last + self._heartbeat - self._clock()))
            await self.beat()

    async def _send(self, now: float, message: str) -> None:
        self._sent, self._last = True, now
        await self._report(self._chunks + self._beats, None, message)


@asynccontextmanager
async def progress(ctx: Context[Runtime], label: str) -> AsyncIterator[ChunkCallback]:
    """The chunk callback of one call, with the heartbeat running until the block ends (a no-op
    for a call without a progress token)."""
    heartbeat = ctx.request_context.lifespan_context.settings.progress_heartbeat
    tracker = Progress(ctx.report_progress, label, heartbeat=heartbeat)
    async with anyio.create_task_group() as group:
        group.start_soon(tracker.keep_alive)
        try:
            yield tracker.on_chunk
        finally:
            group.cancel_scope.cancel()
