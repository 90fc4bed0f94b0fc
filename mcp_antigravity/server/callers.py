"""Who makes a call: the caller an HTTP bearer token names (:mod:`.httpauth`), carried in the
ASGI scope's ``state`` (never in a header a client could send)."""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

from mcp.server import MCPServer
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import (
    ResourceError,
    ToolError,
    UnexpectedResourceError,
    UnexpectedToolError,
)
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, CallToolResult, GetPromptResult, InputRequiredResult
from pydantic import AnyUrl, ValidationError

from ..storage.redis import StoreError
from .argument_errors import describe_arguments

CALLER = "mcp_antigravity.caller"
"""The key of the caller's name in the scope's ``state``."""


def caller_of(ctx: Context[Any]) -> str | None:
    """The caller's name, or ``None`` (stdio, or an HTTP server with one token or none)."""
    request = ctx.request_context.request
    scope = getattr(request, "scope", None)
    state = scope.get("state") if isinstance(scope, dict) else None
    caller = state.get(CALLER) if isinstance(state, dict) else None
    return caller if isinstance(caller, str) else None


_reading_for: ContextVar[str | None] = ContextVar("mcp_antigravity_reading_for", default=None)


def reader() -> str | None:
    """The caller a resource is being read for (inside a resource function)."""
    return _reading_for.get()


class CallerAwareServer(MCPServer[Any]):
    """The SDK's server with three things told better: resource functions know who reads them
    (:func:`reader`; the SDK gives a context only to resource templates, and lists such as
    ``antigravity://sessions`` must be the caller's own too); a tool's argument mistakes are
    told as sentences (:func:`..argument_errors.describe_arguments`); and an unknown tool or
    prompt is the protocol's error (-32602 Invalid params), not a failed call."""

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        if self._tool_manager.get_tool(name) is None:  # the protocol's error, not a failed call
            known = ", ".join(t.name for t in self._tool_manager.list_tools())
            raise MCPError(code=INVALID_PARAMS, message=f"Unknown tool: {name} (this server has {known})")
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            cause = exc.__cause__
            if not isinstance(cause, ValidationError) or isinstance(exc, UnexpectedToolError):
                raise
            tool = self._tool_manager.get_tool(name)
            raise ToolError(describe_arguments(name, cause, tool.parameters if tool else None)) from cause

    async def get_prompt(
        self, name: str, arguments: dict[str, Any] | None = None, context: Context[Any, Any] | None = None
    ) -> GetPromptResult | InputRequiredResult:
        if self._prompt_manager.get_prompt(name) is None:
            raise MCPError(
                code=INVALID_PARAMS, message=f"Unknown prompt: {name} (this server has no prompts)"
            )
        return await super().get_prompt(name, arguments, context)

    async def read_resource(
        self, uri: AnyUrl | str, context: Context[Any, Any] | None = None
    ) -> Iterable[ReadResourceContents] | InputRequiredResult:
        token = _reading_for.set(caller_of(context) if context is not None else None)
        try:
            return await super().read_resource(uri, context)
        except UnexpectedResourceError as exc:  # the SDK's wrapping of what a resource raised
            if isinstance(exc.__cause__, StoreError):  # the shared store failed: say so, as the tools do
                raise ResourceError(str(exc.__cause__)) from None
            raise
        finally:
            _reading_for.reset(token)
