"""``build_server``: the MCP server with its tools and the lifespan that owns the shared client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from mcp.server import MCPServer

from .._version import __version__
from ..config import Settings
from .callers import CallerAwareServer
from .resources import register_resources
from .runtime import Runtime
from .tools import register_tools

INSTRUCTIONS = (
    "Tools backed by Google's Antigravity gateway (Claude, Gemini and GPT-OSS models): chat (conversations "
    "that continue with the session_id each answer returns, with functions, JSON answers and thinking), "
    "web_search (answers with cited sources), web_reader (a URL as Markdown, page by page), vision (questions "
    "about images), image_generate and transcribe. Media and URLs may be paths, http(s) URLs, data: URIs or "
    "base64. Errors say what went wrong and what to do. Resources: antigravity://sessions (the conversations "
    "the server keeps), antigravity://images (images too large to return inline), antigravity://models and "
    "antigravity://quota (each account's quota and reset times)."
)


def build_server(settings: Settings, runtime: Runtime | None = None) -> MCPServer[Runtime]:
    """The MCP server. Pass a ``runtime`` to share one client with other servers in the process."""
    shared = runtime or Runtime(settings)

    @asynccontextmanager
    async def lifespan(server: MCPServer[Runtime]) -> AsyncIterator[Runtime]:
        async with shared:
            yield shared

    server: MCPServer[Runtime] = CallerAwareServer(
        "mcp-antigravity",
        version=__version__,
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        log_level=settings.log_level,
    )
    register_tools(server)
    register_resources(server, shared)
    return server
