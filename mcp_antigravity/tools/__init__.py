"""The MCP tools, one module each."""

from __future__ import annotations

from mcp.server import MCPServer

from ..runtime import Runtime
from . import chat

_MODULES = (chat,)


def register_tools(server: MCPServer[Runtime]) -> None:
    for module in _MODULES:
        module.register(server)
