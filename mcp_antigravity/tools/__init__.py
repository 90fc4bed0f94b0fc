"""The MCP tools, one module each."""

from __future__ import annotations

from mcp.server import MCPServer

from ..runtime import Runtime
from . import chat, image_generate, transcribe, vision, web_reader, web_search

_MODULES = (chat, web_search, web_reader, vision, image_generate, transcribe)


def register_tools(server: MCPServer[Runtime]) -> None:
    for module in _MODULES:
        module.register(server)
