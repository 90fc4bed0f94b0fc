"""Run the MCP server on a transport, optionally against an in-process emulator."""

from __future__ import annotations

import logging
import sys
from contextlib import AsyncExitStack
from typing import Literal

import uvicorn
from mcp.server import MCPServer
from pydantic import SecretStr
from starlette.types import ASGIApp

from .config import Settings
from .emulator import EmulatorConfig, running_emulator
from .emulator.runner import bind_socket
from .httpauth import RequireBearerToken
from .httpguard import ConcurrencyLimit, HttpLimits, SessionGuard, guarded_protocol, transport_security
from .runtime import Runtime
from .server import build_server

Transport = Literal["stdio", "streamable-http", "sse"]
EMULATOR_TOKEN = "emulator-token"  # noqa: S105 - accepted only by the emulator

log = logging.getLogger(__name__)


async def serve(settings: Settings, transport: Transport, *, host: str, port: int, emulator: bool) -> None:
    async with AsyncExitStack() as stack:
        if emulator:
            instance, url = await stack.enter_async_context(
                running_emulator(EmulatorConfig(token=EMULATOR_TOKEN))
            )
            settings = settings.model_copy(
                update={
                    "endpoints": [url],
                    "discovery_endpoints": None,
                    "access_token": SecretStr(EMULATOR_TOKEN),
                    "project": instance.config.project,
                    # pretend conversations stay apart from real ones
                    "data_dir": settings.sessions_path.parent / "emulator",
                }
            )
            log.warning("serving against the in-process emulator at %s (no account needed)", url)
        # One runtime for the whole process: SSE runs the MCP lifespan per connection.
        runtime = await stack.enter_async_context(Runtime(settings, remote=transport != "stdio"))
        server = build_server(settings, runtime)
        if transport == "stdio":
            await server.run_stdio_async()
            return
        app = http_app(server, settings, transport, host)
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


def http_app(server: MCPServer[Runtime], settings: Settings, transport: Transport, host: str) -> ASGIApp:
    """The ASGI app of an HTTP transport, with its limits, rebinding protection and bearer check."""
    security = transport_security(host, settings.http_allowed_hosts)
    app: ASGIApp
    if transport == "streamable-http":
        app = SessionGuard(
            server.streamable_http_app(
                host=host,
                transport_security=security,
                session_idle_timeout=settings.http_session_idle_timeout,
                max_sessions=settings.http_max_sessions + 64,  # a backstop: the guard makes room before
            ),
            max_sessions=settings.http_max_sessions,
        )
    else:
        app = server.sse_app(host=host, transport_security=security)
    if settings.http_token is not None:
        app = RequireBearerToken(app, settings.http_token.get_secret_value())
    return ConcurrencyLimit(app, settings.http_max_concurrent_requests)
