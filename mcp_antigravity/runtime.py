"""The process's shared state: one pooled HTTP client and the one Antigravity client.

A :class:`Runtime` may be entered many times (the SSE transport runs the MCP lifespan once
per connection); it opens on the first entry and closes on the last exit, so every
connection in the process shares the same pool.
"""

from __future__ import annotations

from types import TracebackType

import httpx2

from .antigravity import AntigravityClient, open_http_client
from .config import Settings
from .pending import PendingCalls


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._users = 0
        self._http: httpx2.AsyncClient | None = None
        self._client: AntigravityClient | None = None
        self.pending = PendingCalls()

    @property
    def client(self) -> AntigravityClient:
        if self._client is None:
            raise RuntimeError("the runtime is not open: use it inside `async with runtime:`")
        return self._client

    async def __aenter__(self) -> Runtime:
        if self._users == 0:
            self._http = open_http_client(self.settings)
            self._client = AntigravityClient(self.settings, self._http)
        self._users += 1
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._users -= 1
        if self._users == 0 and self._http is not None:
            http, self._http, self._client = self._http, None, None
            await http.aclose()
