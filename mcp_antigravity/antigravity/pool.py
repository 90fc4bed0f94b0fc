"""The upstream connection pool: several small httpx2 pools behind one client-shaped object.

Why not one big pool: httpcore2 assigns every queued request to a connection by looking at
every connection in the pool (and asking each whether its socket expired), so its cost per
request grows with the pool; measured here, 200 concurrent streams through one pool of 1024
spent a third of their CPU time there, and a single pool stops helping past ~256 connections.
Shards of :data:`SHARD_SIZE` keep that walk short; requests go to the shard with the fewest
requests in flight (so an idle one's warm connections are reused first).
"""

from __future__ import annotations

import functools
import math
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any

import httpx2

SHARD_SIZE = 32


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The process's one TLS context: building one loads the CA bundle (~50 ms each), so every
    pool shares this one."""
    return httpx2.create_ssl_context()


class ShardedPool:
    """The subset of :class:`httpx2.AsyncClient` the upstream client uses, over several pools."""

    def __init__(self, shards: list[httpx2.AsyncClient]) -> None:
        if not shards:
            raise ValueError("a pool needs at least one shard")
        self._shards = shards
        self._busy = [0] * len(shards)

    @classmethod
    def open(cls, max_connections: int, **client_options: Any) -> ShardedPool:
        count = max(1, math.ceil(max_connections / SHARD_SIZE))
        size = math.ceil(max_connections / count)
        limits = httpx2.Limits(max_connections=size, max_keepalive_connections=max(1, size // 2))
        client_options.setdefault("verify", tls_context())
        return cls([httpx2.AsyncClient(limits=limits, **client_options) for _ in range(count)])

    @asynccontextmanager
    async def _lease(self) -> AsyncIterator[httpx2.AsyncClient]:
        index = min(range(len(self._shards)), key=self._busy.__getitem__)
        self._busy[index] += 1
        try:
            yield self._shards[index]
        finally:
            self._busy[index] -= 1

    async def get(self, url: str, **options: Any) -> httpx2.Response:
        async with self._lease() as shard:
            return await shard.get(url, **options)

    async def post(self, url: str, **options: Any) -> httpx2.Response:
        async with self._lease() as shard:
            return await shard.post(url, **options)

    @asynccontextmanager
    async def stream(self, method: str, url: str, **options: Any) -> AsyncIterator[httpx2.Response]:
        async with self._lease() as shard, shard.stream(method, url, **options) as response:
            yield response

    async def aclose(self) -> None:
        for shard in self._shards:
            await shard.aclose()

    async def __aenter__(self) -> ShardedPool:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


HttpClient = httpx2.AsyncClient | ShardedPool
"""What the upstream client, its token source and its identity accept: one pool, or shards."""
