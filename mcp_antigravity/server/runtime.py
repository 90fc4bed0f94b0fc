"""The process's shared state: one pooled HTTP client and the one Antigravity client.

A :class:`Runtime` may be entered many times (the SSE transport runs the MCP lifespan once
per connection); it opens on the first entry and closes on the last exit, so every
connection in the process shares the same pool.
"""

from __future__ import annotations

from types import TracebackType

import httpx2

from .._version import __version__
from ..antigravity import AntigravityClient, open_http_client
from ..antigravity.models import Resolved, resolve
from ..config import Settings
from ..conversation.sessions import Sessions
from ..conversation.store import Limits
from ..media.loader import MediaLoader
from ..web.fetcher import FetchPolicy, SafeFetcher, open_fetch_client
from ..web.robots import Robots


class Runtime:
    def __init__(self, settings: Settings, *, remote: bool = False) -> None:
        """``remote``: callers reach this process over HTTP (local files are then off unless roots are set)."""
        self.settings = settings
        self.remote = remote
        self._users = 0
        self._http: httpx2.AsyncClient | None = None
        self._fetch_http: httpx2.AsyncClient | None = None
        self._client: AntigravityClient | None = None
        self._media: MediaLoader | None = None
        self._fetcher: SafeFetcher | None = None
        self._robots: Robots | None = None
        self.sessions = Sessions(
            settings.sessions_path,
            Limits(
                max_sessions=settings.session_max_count,
                max_age=settings.session_max_age_days * 86400,
                max_turns=settings.session_max_turns,
                max_signatures=settings.signature_cache_size,
                signature_ttl=settings.signature_ttl_hours * 3600,
            ),
        )

    @property
    def client(self) -> AntigravityClient:
        if self._client is None:
            raise RuntimeError("the runtime is not open: use it inside `async with runtime:`")
        return self._client

    async def model(self, requested: str) -> Resolved:
        """The model a call for ``requested`` goes to: the live catalog forwards retired ids."""
        return resolve(requested, await self.client.available_models())

    @property
    def fetcher(self) -> SafeFetcher:
        if self._fetcher is None:
            raise RuntimeError("the runtime is not open: use it inside `async with runtime:`")
        return self._fetcher

    @property
    def robots(self) -> Robots:
        if self._robots is None:
            raise RuntimeError("the runtime is not open: use it inside `async with runtime:`")
        return self._robots

    @property
    def media(self) -> MediaLoader:
        if self._media is None:
            raise RuntimeError("the runtime is not open: use it inside `async with runtime:`")
        return self._media

    async def __aenter__(self) -> Runtime:
        if self._users == 0:
            await self.sessions.open()
            self._http = open_http_client(self.settings)
            self._client = AntigravityClient(self.settings, self._http)
            self._fetch_http = open_fetch_client(
                max_connections=self.settings.fetch_max_connections, timeout=self.settings.fetch_timeout
            )
            fetcher = SafeFetcher(
                self._fetch_http,
                FetchPolicy.parse(self.settings.fetch_allow),
                max_bytes=self.settings.media_max_bytes,
                timeout=self.settings.fetch_timeout,
                user_agent=f"mcp-antigravity/{__version__}",
            )
            self._fetcher = fetcher
            self._robots = Robots(fetcher, self.settings.reader_user_agent)
            self._media = MediaLoader(
                fetcher,
                roots=self.settings.file_roots,
                local_files=not self.remote,
                max_bytes=self.settings.media_max_bytes,
            )
        self._users += 1
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._users -= 1
        if self._users == 0 and self._http is not None:
            pools = [p for p in (self._http, self._fetch_http) if p is not None]
            self._http = self._fetch_http = self._client = self._fetcher = self._robots = self._media = None
            for pool in pools:
                await pool.aclose()
            await self.sessions.close()
