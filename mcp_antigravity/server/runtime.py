"""The process's shared state: an immutable set of services, opened once and closed once.

A :class:`Runtime` may be entered many times (the SSE transport runs the MCP lifespan once
per connection); the first entry opens one :class:`Services` (the pooled HTTP clients, the
one Antigravity client, the session store and the services over them) and the last exit
closes all of it through one exit stack. After that, asking for a service raises instead of
handing out a closed client.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from types import TracebackType

from .._version import __version__
from ..antigravity import AntigravityClient, open_http_client
from ..antigravity.accounts import pool_for
from ..config import Settings
from ..conversation.service import Conversations
from ..conversation.sessions import Sessions
from ..conversation.store import Limits
from ..media.generation import ImageGeneration
from ..media.loader import MediaLoader
from ..media.saved import ImageStore
from ..media.transcription import Transcription
from ..media.vision import Vision
from ..storage import open_storage
from ..web.fetcher import FetchPolicy, SafeFetcher, open_fetch_client
from ..web.reading import WebReading
from ..web.robots import Robots
from ..web.search import WebSearch


def limits_of(settings: Settings) -> Limits:
    return Limits(
        max_sessions=settings.session_max_count,
        max_age=settings.session_max_age_days * 86400,
        max_turns=settings.session_max_turns,
        max_signatures=settings.signature_cache_size,
        signature_ttl=settings.signature_ttl_hours * 3600,
    )


@dataclass(frozen=True)
class Services:
    client: AntigravityClient
    sessions: Sessions
    conversations: Conversations
    fetcher: SafeFetcher
    robots: Robots
    media: MediaLoader
    reading: WebReading
    search: WebSearch
    vision: Vision
    transcription: Transcription
    images: ImageGeneration
    saved_images: ImageStore


async def open_services(settings: Settings, stack: AsyncExitStack, *, remote: bool) -> Services:
    """Every service, each registered on ``stack`` to be closed with it (in reverse order)."""
    limits = limits_of(settings)
    storage = await open_storage(settings, limits, stack)
    http = await stack.enter_async_context(open_http_client(settings))
    client = AntigravityClient(settings, http, accounts=pool_for(settings, http, shared=storage.accounts))
    fetch_http = await stack.enter_async_context(
        open_fetch_client(max_connections=settings.fetch_max_connections, timeout=settings.fetch_timeout)
    )
    fetcher = SafeFetcher(
        fetch_http,
        FetchPolicy.parse(settings.fetch_allow),
        max_bytes=settings.media_max_bytes,
        timeout=settings.fetch_timeout,
        user_agent=f"mcp-antigravity/{__version__}",
    )
    sessions = Sessions(storage.sessions, limits, lock_ttl=settings.session_lock_ttl)
    robots = Robots(fetcher, settings.reader_user_agent)
    media = MediaLoader(
        fetcher, roots=settings.file_roots, local_files=not remote, max_bytes=settings.media_max_bytes
    )
    return Services(
        client=client,
        sessions=sessions,
        conversations=Conversations(sessions, client, default_model=settings.default_model),
        fetcher=fetcher,
        robots=robots,
        media=media,
        reading=WebReading(
            client, fetcher, robots, settings.reader_model, respect_robots=settings.respect_robots
        ),
        search=WebSearch(client, fetcher, settings.search_model, resolve_links=settings.resolve_search_links),
        vision=Vision(client, media, settings.vision_model, settings.max_images),
        transcription=Transcription(client, media, settings.transcribe_model),
        images=ImageGeneration(
            client,
            media,
            settings.image_model,
            saved=storage.images,
            inline_limit=settings.inline_result_limit,
        ),
        saved_images=storage.images,
    )


class Runtime:
    def __init__(self, settings: Settings, *, remote: bool = False) -> None:
        """``remote``: callers reach this process over HTTP (local files are then off unless roots are set)."""
        self.settings = settings
        self.remote = remote
        self._users = 0
        self._stack: AsyncExitStack | None = None
        self._services: Services | None = None

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("the runtime is not open: use it inside `async with runtime:`")
        return self._services

    @property
    def client(self) -> AntigravityClient:
        return self.services.client

    @property
    def sessions(self) -> Sessions:
        return self.services.sessions

    @property
    def conversations(self) -> Conversations:
        return self.services.conversations

    async def __aenter__(self) -> Runtime:
        if self._users == 0:
            async with AsyncExitStack() as stack:
                self._services = await open_services(self.settings, stack, remote=self.remote)
                self._stack = stack.pop_all()
        self._users += 1
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._users -= 1
        if self._users == 0 and self._stack is not None:
            stack, self._stack, self._services = self._stack, None, None
            await stack.aclose()
