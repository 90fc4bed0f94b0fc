"""Slow sites cannot starve model calls: fetching callers' URLs has its own connection pool.

Forty media downloads hang on a site that does not answer until the test lets it; while they
hang, a chat call is answered, and the site never sees more connections than the fetch pool
allows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.types import TextContent
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mcp_antigravity import build_server
from mcp_antigravity.emulator import Emulator, serve_app

from ..conftest import make_settings

pytestmark = pytest.mark.anyio
POOL = 4


class SlowSite:
    def __init__(self) -> None:
        self.release = anyio.Event()
        self.waiting = 0
        self.pool_full = anyio.Event()
        self.app = Starlette(routes=[Route("/{name}", self.hang)])

    async def hang(self, request: Request) -> Response:
        self.waiting += 1
        if self.waiting >= POOL:
            self.pool_full.set()
        await self.release.wait()
        return Response(b"not an image", media_type="text/plain")


@pytest.fixture
async def slow_site() -> AsyncIterator[tuple[SlowSite, str]]:
    site = SlowSite()
    async with serve_app(site.app) as url:
        yield site, url
        site.release.set()


async def test_forty_slow_fetches_do_not_hold_up_a_chat_call(
    emulator: tuple[Emulator, str], slow_site: tuple[SlowSite, str], tmp_path: Path
) -> None:
    _, upstream = emulator
    site, url = slow_site
    settings = make_settings(
        upstream,
        data_dir=tmp_path,
        fetch_allow=[f"127.0.0.1:{url.rsplit(':', 1)[1]}"],
        fetch_max_connections=POOL,
        fetch_timeout=60.0,
    )
    async with Client(build_server(settings)) as client, anyio.create_task_group() as group:
        for number in range(40):
            group.start_soon(client.call_tool, "vision", {"prompt": "?", "image": f"{url}/{number}.png"})
        with anyio.fail_after(30):
            await site.pool_full.wait()
            result = await client.call_tool("chat", {"prompt": "not starved"})
        assert not result.is_error
        assert [c.text for c in result.content if isinstance(c, TextContent)] == ["Echo: not starved"]
        assert site.waiting == POOL  # the rest wait for the fetch pool, not for the upstream's
        site.release.set()
