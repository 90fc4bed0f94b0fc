"""Reading a URL: directly when allowed, else through the model's URL context; then one page of it.

:meth:`WebReading.read` fetches the page itself (robots.txt respected when configured,
internal addresses refused before anything is fetched) and turns it into Markdown or text
(:mod:`.reader`). When the page cannot be read directly (blocked, unreachable, or only
readable by running its scripts) the model reads it through URL context instead, and the
result says which engine served it and why. A ``question`` is answered from the page. An
internal or invalid URL is never handed on to the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import anyio.to_thread

from ..antigravity import AntigravityClient
from ..antigravity.asking import ask
from ..antigravity.client import ChunkCallback
from ..antigravity.wire import Content, GenerateContentRequest, Part, Tool
from .errors import WebError
from .fetcher import FetchError, FetchRefused, SafeFetcher
from .reader import Format, Page, UnreadableContent, read
from .robots import Robots

Engine = Literal["direct", "url_context"]
GONE = frozenset({404, 410})
QUESTION_CONTEXT = 200_000
_ACCEPT = "text/html,application/xhtml+xml,application/pdf,text/*;q=0.9,*/*;q=0.5"


@dataclass(frozen=True)
class Slice:
    content: str
    start_index: int
    total_length: int
    truncated: bool
    next_start_index: int | None


@dataclass(frozen=True)
class Reading:
    url: str
    final_url: str
    engine: Engine
    part: Slice
    """This page of the content (or of the answer, when a question was asked)."""
    title: str | None = None
    kind: str | None = None
    answer: str | None = None
    retrieval_status: str | None = None
    fallback_reason: str | None = None


def page_of(text: str, start_index: int, max_length: int) -> Slice:
    """The part of ``text`` from ``start_index``, at most ``max_length`` characters."""
    total = len(text)
    if start_index >= total and total:
        raise WebError(f"start_index {start_index} is past the end of the content ({total} characters).")
    chunk = text[start_index : start_index + max_length]
    end = start_index + len(chunk)
    return Slice(chunk, start_index, total, end < total, end if end < total else None)


class _Blocked(Exception):
    """The page cannot be read directly, for a reason the model's URL context may get around."""


@dataclass(frozen=True)
class WebReading:
    client: AntigravityClient
    fetcher: SafeFetcher
    robots: Robots
    model: str
    """The model that answers questions and reads by URL context."""
    respect_robots: bool = True

    async def read(
        self,
        url: str,
        *,
        fmt: Format = "markdown",
        question: str | None = None,
        start_index: int = 0,
        max_length: int = 20_000,
        on_chunk: ChunkCallback | None = None,
    ) -> Reading:
        self.fetcher.check(
            url
        )  # an invalid or internal URL ends here (FetchRefused): never read, never handed on
        try:
            page, final_url = await self._direct(url, fmt)
        except _Blocked as exc:
            return await self._by_url_context(url, fmt, question, start_index, max_length, str(exc), on_chunk)
        answer = None
        if question:
            prompt = (
                f"Answer the question from this page only.\n\nQuestion: {question}\n\nPage ({final_url}):\n"
                f"{page.content[:QUESTION_CONTEXT]}"
            )
            asked = await ask(
                self.client,
                self.model,
                GenerateContentRequest(contents=[Content(role="user", parts=[Part(text=prompt)])]),
                on_chunk=on_chunk,
            )
            answer = asked.response.answer_text
        return Reading(
            url=url,
            final_url=final_url,
            engine="direct",
            part=page_of(answer if answer is not None else page.content, start_index, max_length),
            title=page.title,
            kind=page.kind,
            answer=answer,
        )

    async def _direct(self, url: str, fmt: Format) -> tuple[Page, str]:
        try:
            refusal = await self.robots.refusal(url) if self.respect_robots else None
            if refusal is not None:
                raise _Blocked(refusal)
            fetched = await self.fetcher.fetch(url, accept=_ACCEPT)
        except FetchRefused:
            raise
        except FetchError as exc:
            raise _Blocked(str(exc)) from exc
        if fetched.status in GONE:
            raise WebError(f"{url} does not exist (HTTP {fetched.status}).")
        if not 200 <= fetched.status < 300:
            raise _Blocked(f"the site answered HTTP {fetched.status}")
        try:
            page = await anyio.to_thread.run_sync(read, fetched.content, fetched.content_type, fmt)
        except UnreadableContent as exc:
            raise WebError(f"{url}: {exc}. For images use vision; for audio, transcribe.") from None
        if not page.content.strip():
            raise _Blocked("the page has no readable content without running its scripts")
        return page, fetched.url

    async def _by_url_context(
        self,
        url: str,
        fmt: Format,
        question: str | None,
        start_index: int,
        max_length: int,
        reason: str,
        on_chunk: ChunkCallback | None,
    ) -> Reading:
        if question:
            prompt = f"Read {url} and answer from it only: {question}"
        else:
            shape = "Markdown" if fmt == "markdown" else "plain text"
            prompt = f"Read {url} and return its main content in full as {shape}, without commentary."
        request = GenerateContentRequest(
            contents=[Content(role="user", parts=[Part(text=prompt)])], tools=[Tool(url_context={})]
        )
        response = (await ask(self.client, self.model, request, on_chunk=on_chunk)).response
        text = response.answer_text
        metadata = response.candidates[0].url_context_metadata if response.candidates else None
        status = (
            next((m.url_retrieval_status for m in metadata.url_metadata if m.retrieved_url == url), None)
            if metadata
            else None
        )
        if status not in (None, "URL_RETRIEVAL_STATUS_SUCCESS"):
            kind = (status or "").rsplit("_", 1)[-1].lower()
            raise WebError(
                f"{url} could not be read: directly, because {reason}; through the model's URL context, "
                f"because of {kind} ({status}). {text}".strip()
            )
        if not text.strip():
            raise WebError(
                f"{url} could not be read: directly, because {reason}; the model returned nothing."
            )
        return Reading(
            url=url,
            final_url=url,
            engine="url_context",
            part=page_of(text, start_index, max_length),
            answer=text if question else None,
            retrieval_status=status,
            fallback_reason=reason,
        )
