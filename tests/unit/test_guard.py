"""The tool error guard: what each kind of exception becomes for the caller (a table)."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from mcp.server.mcpserver.exceptions import ToolError
from mcp.shared.exceptions import MCPError

from mcp_antigravity.conversation.errors import SessionConflict
from mcp_antigravity.conversation.schema import SchemaError
from mcp_antigravity.media.loader import MediaError
from mcp_antigravity.server.tools.guard import tool_error
from mcp_antigravity.web.fetcher import InvalidURL

told = ToolError("Model nope is not available upstream")


@pytest.mark.parametrize(
    ("raised", "says"),
    [
        (told, "Model nope is not available upstream"),
        (ExceptionGroup("task group", [told]), "Model nope is not available upstream"),
        (ExceptionGroup("task group", [ValueError("x"), ExceptionGroup("inner", [told])]), "not available"),
        (MediaError("image: too big"), "image: too big"),
        (InvalidURL("not a valid URL"), "not a valid URL"),
        (SchemaError("$.a", "bad"), "$.a: bad"),
        (SessionConflict("changed by another process"), "changed by another process"),
        (sqlite3.OperationalError("database is locked"), "the session store failed (OperationalError"),
        (KeyError("boom"), "chat failed unexpectedly (KeyError: 'boom'). This is a bug"),
        (ExceptionGroup("g", [ZeroDivisionError("division by zero")]), "ZeroDivisionError: division by zero"),
    ],
)
def test_every_failure_becomes_a_tool_error_that_says_what_happened(raised: BaseException, says: str) -> None:
    error = asyncio.run(tool_error("chat", raised))
    assert isinstance(error, ToolError) and says in str(error)


@pytest.mark.parametrize(
    "raised",
    [
        asyncio.CancelledError(),
        BaseExceptionGroup("cancelled", [asyncio.CancelledError(), ValueError("x")]),
        MCPError(code=-32602, message="protocol misuse"),
        KeyboardInterrupt(),
    ],
)
def test_cancellation_and_protocol_errors_pass_through(raised: BaseException) -> None:
    assert asyncio.run(tool_error("chat", raised)) is None
