"""``_serving``: the loopback server helper used by the emulator, the login listener and the HTTP transports."""

from __future__ import annotations

import socket

import anyio.to_thread
import pytest

from mcp_antigravity.emulator import Emulator, EmulatorConfig, serve_app
from mcp_antigravity.emulator.runner import bind_socket

pytestmark = pytest.mark.anyio


def test_listening_socket_is_tcp_with_nodelay() -> None:
    # asyncio only sets TCP_NODELAY on accepted sockets whose protocol is IPPROTO_TCP; without it
    # every response waits for a delayed ACK (~40 ms on loopback).
    sock = bind_socket("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        sock.close()


async def test_url_is_usable_as_soon_as_it_is_yielded() -> None:
    emulator = Emulator(EmulatorConfig())
    async with serve_app(emulator.app) as url:
        assert url.startswith("http://127.0.0.1:")
        port = int(url.rsplit(":", 1)[1])
        # No await between the yield and this connect, so the server task has not run yet: the
        # connection succeeds only because the socket was already listening (the kernel queues it).
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.sendall(b"GET /_emulator/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            answer = await anyio.to_thread.run_sync(raw.recv, 4096)
    assert answer.startswith(b"HTTP/1.1 200")


async def test_runtime_opens_once_and_closes_with_its_last_user() -> None:
    from mcp_antigravity.config import load_settings
    from mcp_antigravity.server.runtime import Runtime

    runtime = Runtime(load_settings())
    async with runtime:
        client = runtime.client
        async with runtime:
            assert runtime.client is client  # a second user shares the same client
        assert runtime.client is client  # still open for the first user
    with pytest.raises(RuntimeError, match="not open"):
        _ = runtime.client
