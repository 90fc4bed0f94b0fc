"""Serve an ASGI app on a bound socket from inside a running event loop.

Used by the emulator, the OAuth login's loopback listener and ``serve --emulator``; it knows
nothing of any of them. The listening socket is bound before the server task starts, so the
URL is usable at once: connections made before uvicorn accepts them wait in the kernel's
backlog.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
from collections.abc import AsyncIterator, Iterator

import anyio
import uvicorn
from starlette.types import ASGIApp


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its signal handlers (the host process owns Ctrl-C), stopped by an event
        instead of a flag polled ten times a second, and shut down as soon as its requests are done
    (uvicorn's own shutdown first waits a fixed 0.1 s, then polls every 0.1 s)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._stop = anyio.Event()

    def stop(self) -> None:
        self.should_exit = True
        self._stop.set()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def main_loop(self) -> None:
        await self._stop.wait()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        if self.server_state.tasks:
            _, late = await asyncio.wait(
                self.server_state.tasks, timeout=self.config.timeout_graceful_shutdown
            )
            for task in late:
                task.cancel(msg="graceful shutdown timed out")
        for server in self.servers:
            await server.wait_closed()


class ListenError(OSError):
    """The address cannot be listened on; the message says why and what to do."""


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, or :class:`ListenError` saying why there is none."""
    if not 0 <= port <= 65535:
        raise ListenError(
            f"Cannot listen on port {port}: a port is a number from 0 to 65535 (0: any free one)."
        )
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and
    # without it every response stalls ~40 ms on delayed ACKs.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        why = {
            errno.EADDRINUSE: "the address is in use (another process listens there); pick another --port",
            errno.EADDRNOTAVAIL: "no interface of this machine has that address; check --host",
            errno.EACCES: "permission denied (ports below 1024 need privileges); pick a port above 1023",
        }.get(exc.errno or 0, exc.strerror or str(exc))
        raise ListenError(f"Cannot listen on {host}:{port}: {why}.") from None
    except (OverflowError, socket.gaierror) as exc:
        sock.close()
        raise ListenError(f"Cannot listen on {host}:{port}: {exc}. Check --host and --port.") from None
    sock.listen(128)
    sock.setblocking(False)
    return sock


@contextlib.asynccontextmanager
async def serve_app(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
    """Run ``app`` until the block exits; yields its base URL (``http://127.0.0.1:<port>``)."""
    sock = bind_socket(host, port)
    shown = f"[{host}]" if ":" in host else host
    async with serve_app_on(app, sock):
        yield f"http://{shown}:{sock.getsockname()[1]}"


@contextlib.asynccontextmanager
async def serve_app_on(app: ASGIApp, sock: socket.socket) -> AsyncIterator[None]:
    """Run ``app`` on an already listening socket until the block exits; the socket is closed after."""
    config = uvicorn.Config(
        app,
        log_config=None,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
    )
    server = _EmbeddedServer(config)
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(server.serve, [sock])
            try:
                yield
            finally:
                server.stop()
    finally:
        sock.close()
