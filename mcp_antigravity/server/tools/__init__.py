"""The MCP tools, one module each; this table registers them all, each inside the error guard."""

from __future__ import annotations

from mcp.server import MCPServer

from ..runtime import Runtime
from . import chat, image_generate, transcribe, vision, web_reader, web_search
from .guard import ToolSpec

TOOLS: tuple[ToolSpec, ...] = (
    chat.TOOL,
    web_search.TOOL,
    web_reader.TOOL,
    vision.TOOL,
    image_generate.TOOL,
    transcribe.TOOL,
)


def register_tools(server: MCPServer[Runtime]) -> None:
    for tool in TOOLS:
        tool.register(server)
