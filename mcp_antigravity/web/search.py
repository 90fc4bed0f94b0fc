"""A question answered with Google Search: the answer, its citations placed, its links resolved.

The upstream's grounding links are redirects that expire; :meth:`WebSearch.search` resolves
them (a few at a time, each through the SSRF-safe fetcher) to the pages they lead to, and a
link that cannot be resolved stays as it came. Citation markers go right after the text
each source supports (:mod:`.citations`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import anyio

from ..antigravity import AntigravityClient
from ..antigravity.asking import ask
from ..antigravity.client import ChunkCallback
from ..antigravity.responses import Usage, finish_reason, usage_of
from ..antigravity.wire import Content, GenerateContentRequest, GroundingMetadata, Part, Tool
from .citations import Source, place_markers, sources_of
from .errors import WebError
from .fetcher import FetchError, SafeFetcher

RESOLVE_AT_ONCE = 8


@dataclass(frozen=True)
class Found:
    answer: str
    """The answer, with [n] markers after the sentences each source supports."""
    sources: list[Source]
    queries: list[str]
    model: str
    grounded: bool
    """False when the upstream reported no sources for this answer."""
    usage: Usage


@dataclass(frozen=True)
class WebSearch:
    client: AntigravityClient
    fetcher: SafeFetcher
    model: str
    resolve_links: bool = True

    async def search(
        self,
        query: str,
        *,
        model: str | None = None,
        max_sources: int | None = None,
        resolve_links: bool | None = None,
        on_chunk: ChunkCallback | None = None,
    ) -> Found:
        request = GenerateContentRequest(
            contents=[Content(role="user", parts=[Part(text=query)])], tools=[Tool(google_search={})]
        )
        asked = await ask(self.client, model or self.model, request, on_chunk=on_chunk)
        response = asked.response
        content = response.candidates[0].content if response.candidates else None
        texts = [p.text or "" for p in content.parts if not p.thought] if content else []
        if not "".join(texts).strip():
            finish = finish_reason(response)
            raise WebError(
                f"Model {asked.model} gave no answer (finish reason {finish}). Rephrase the query."
            )
        metadata = response.candidates[0].grounding_metadata
        sources: list[Source] = []
        if metadata is not None:
            resolve = self.resolve_links if resolve_links is None else resolve_links
            resolved = await self._resolve_all(metadata) if resolve else {}
            sources, numbers = sources_of(metadata, resolved, max_sources)
            texts = place_markers(texts, metadata, numbers)
        return Found(
            answer="".join(texts).strip(),
            sources=sources,
            queries=metadata.web_search_queries if metadata else [],
            model=asked.model,
            grounded=metadata is not None,
            usage=usage_of(response),
        )

    async def _resolve_all(self, metadata: GroundingMetadata) -> dict[str, str]:
        urls = [c.web.uri for c in metadata.grounding_chunks if c.web is not None and c.web.uri]
        resolved: dict[str, str] = {}
        limiter = anyio.CapacityLimiter(RESOLVE_AT_ONCE)

        async def resolve(url: str) -> None:
            async with limiter:
                with contextlib.suppress(
                    FetchError
                ):  # on failure the redirect link stays; it works for a while
                    resolved[url] = await self.fetcher.resolve_redirect(url)

        async with anyio.create_task_group() as group:
            for url in dict.fromkeys(urls):
                group.start_soon(resolve, url)
        return resolved
