"""Run the MCP server on a transport: stdio, or HTTP with its limits, rebinding protection and bearer check."""

from __future__ import annotations

import logging
import sys
from typing import Literal

import uvicorn
from mcp.server import MCPServer
from starlette.types import ASGIApp

from .._serving import bind_socket
from ..config import Settings
from . import build_server
from .events import BoundedEventStore
from .httpauth import RequireBearerToken, read_callers
from .httpguard import (
    BodyLimit,
    ConcurrencyLimit,
    HttpLimits,
    SessionGuard,
    guarded_protocol,
    transport_security,
)
from .runtime import Runtime

Transport = Literal["stdio", "streamable-http", "sse"]

log = logging.getLogger(__name__)


async def serve(
    settings: Settings,
    transport: Transport,
    *,
    host: str,
    port: int,
    stateless: bool = False,
    resumable: bool = False,
) -> None:
    """Serve until cancelled. ``stateless`` (streamable HTTP): no MCP session, every request on its
    own, so replicas behind a load balancer may take turns; ``resumable``: SSE streams keep their
    events a while (:mod:`.events`), so a client that reconnects gets what it missed."""
    # One runtime for the whole process: SSE runs the MCP lifespan per connection.
    async with Runtime(settings, remote=transport != "stdio") as runtime:
        server = build_server(settings, runtime)
        if transport == "stdio":
            await server.run_stdio_async()
            return
        app = http_app(server, settings, transport, host, stateless=stateless, resumable=resumable)
        path = "/mcp" if transport == "streamable-http" else "/sse"
        # Bind first, so the address printed below already accepts connections.
        sock = bind_socket(host, port)
        shown = f"[{host}]" if ":" in host else host
        print(
            f"mcp-antigravity: {transport} endpoint on http://{shown}:{sock.getsockname()[1]}{path}",
            file=sys.stderr,
            flush=True,
        )
        config = uvicorn.Config(
            app,
            log_level=settings.log_level.lower(),
            http=guarded_protocol(
                HttpLimits(
                    header_timeout=settings.http_header_timeout,
                    body_timeout=settings.http_body_timeout,
                    max_connections=settings.http_max_connections,
                )
            ),
            timeout_keep_alive=settings.http_keep_alive_timeout,
        )
        await uvicorn.Server(config).serve(sockets=[sock])


def http_app(
    server: MCPServer[Runtime],
    settings: Settings,
    transport: Transport,
    host: str,
    *,
    stateless: bool = False,
    resumable: bool = False,
) -> ASGIApp:
    """The ASGI app of an HTTP transport, with its limits, rebinding protection and bearer check."""
    security = transport_security(host, settings.http_allowed_hosts)
    app: ASGIApp
    if transport == "streamable-http" and stateless:
        app = server.streamable_http_app(
            host=host,
            transport_security=security,
            stateless_http=True,
            max_request_body_size=settings.effective_http_max_body_bytes,
        )
    elif transport == "streamable-http":
        app = SessionGuard(
            server.streamable_http_app(
                host=host,
                transport_security=security,
                session_idle_timeout=settings.http_session_idle_timeout,
                max_sessions=settings.http_max_sessions + 64,  # a backstop: the guard makes room before
                max_request_body_size=settings.effective_http_max_body_bytes,
                event_store=BoundedEventStore() if resumable else None,
                retry_interval=1000 if resumable else None,
            ),
            max_sessions=settings.http_max_sessions,
        )
    else:
        app = server.sse_app(
            host=host,
            transport_security=security,
            max_request_body_size=settings.effective_http_max_body_bytes,
        )
    app = BodyLimit(app, settings.effective_http_max_body_bytes)
    callers: dict[str, str | None] = {}
    if settings.http_tokens_file is not None:
        callers.update(read_callers(settings.http_tokens_file))
    if settings.http_token is not None:
        callers[settings.http_token.get_secret_value()] = None
    if callers:
        app = RequireBearerToken(app, callers)
    return ConcurrencyLimit(app, settings.http_max_concurrent_requests)
