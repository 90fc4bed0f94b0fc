"""The one place where whatever a tool raises becomes the error its caller reads.

The MCP SDK shows the caller only ``Error executing tool <name>`` for anything but a
:class:`ToolError`, so every tool runs inside :func:`guarded`:

* a ``ToolError`` passes unchanged;
* an upstream failure (:class:`~mcp_antigravity.antigravity.AntigravityError`) is told with the
  advice its type calls for, given how this server is set up (:mod:`.errors`);
* an exception group (from a task group inside the tool) is unwrapped to the error that
  caused it, so ``image_generate`` says why the upstream refused, as the other tools do;
* the errors of the layers below (the conversation domain, media, fetching, an answer with
  nothing in it, a shared store that failed) become tool errors with their own messages, which
  already say what to do; a database error says that nothing was changed;
* anything else is a bug: it is logged with its traceback, and the caller still learns which
  tool failed, how, and what to do, instead of a bare error;
* cancellation and MCP protocol errors go through untouched.
"""

from __future__ import annotations

import functools
import inspect
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.shared.exceptions import MCPError
from mcp.types import ToolAnnotations

from ...antigravity import AntigravityError
from ...antigravity.responses import NoAnswer
from ...conversation.errors import ConversationError
from ...media.loader import MediaError
from ...storage.redis import StoreError
from ...web.errors import WebError
from ...web.fetcher import FetchError
from ..runtime import Runtime
from .errors import describe_error

P = ParamSpec("P")
R = TypeVar("R")

log = logging.getLogger(__name__)

# Errors whose message is written for the caller already.
_TOLD = (ConversationError, MediaError, FetchError, WebError, NoAnswer, StoreError)


def _leaves(group: BaseExceptionGroup[BaseException]) -> list[BaseException]:
    found: list[BaseException] = []
    for exc in group.exceptions:
        found.extend(_leaves(exc) if isinstance(exc, BaseExceptionGroup) else [exc])
    return found


async def tool_error(tool: str, exc: BaseException, runtime: Runtime | None = None) -> ToolError | None:
    """The caller's error for ``exc``; ``None`` when it must propagate as it is. ``runtime`` tells
    what advice on an upstream failure depends on (which credentials, which version, the catalog)."""
    if isinstance(exc, ToolError):
        return exc
    if isinstance(exc, AntigravityError):
        facts = await runtime.client.facts() if runtime is not None else None
        return ToolError(describe_error(exc, exc.model_asked or "the model", facts))
    if isinstance(exc, ResourceError):
        return ToolError(str(exc))
    if isinstance(exc, BaseExceptionGroup):
        errors = [e for e in _leaves(exc) if isinstance(e, Exception)]
        if len(errors) < len(_leaves(exc)):  # a cancellation is in the group: let it through
            return None
        told = [e for e in errors if isinstance(e, ToolError)]
        return await tool_error(tool, (told or errors)[0], runtime) if errors else None
    if isinstance(exc, MCPError) or not isinstance(exc, Exception):
        return None
    if isinstance(exc, _TOLD):
        return ToolError(str(exc))
    if isinstance(exc, sqlite3.Error):
        log.exception("session store failed in %s", tool)
        return ToolError(
            f"{tool}: the session store failed ({type(exc).__name__}: {exc}). Nothing was changed; retry. "
            "If it keeps failing, check the disk and permissions of ANTIGRAVITY_DATA_DIR."
        )
    log.exception("unexpected error in tool %s", tool)
    detail = str(exc)[:300]
    return ToolError(
        f"{tool} failed unexpectedly ({type(exc).__name__}{': ' + detail if detail else ''}). This is a bug in "
        "mcp-antigravity (the server log has the details): retry, or report it with the arguments you sent."
    )


def _runtime_of(arguments: Iterable[object]) -> Runtime | None:
    for value in arguments:
        if isinstance(value, Context):
            context = value.request_context.lifespan_context
            return context if isinstance(context, Runtime) else None
    return None


def guarded(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """``fn`` as a tool: its failures reach the caller as tool errors that say what happened."""

    @functools.wraps(fn)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await fn(*args, **kwargs)
        except BaseException as exc:
            error = await tool_error(fn.__name__, exc, _runtime_of([*args, *kwargs.values()]))
            if error is None or error is exc:
                raise
            raise error from exc

    return run


@dataclass(frozen=True)
class ToolSpec:
    """One tool as registered: its handler (docstring = description), title and annotations."""

    fn: Callable[..., Awaitable[Any]]
    title: str
    annotations: ToolAnnotations

    def register(self, server: MCPServer[Any]) -> None:
        server.add_tool(
            guarded(self.fn),
            title=self.title,
            description=inspect.cleandoc(self.fn.__doc__ or ""),
            annotations=self.annotations,
        )
