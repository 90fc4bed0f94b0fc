"""The HTTP endpoint under hostile load: slow connections, session floods, too many requests,
foreign Host headers, weak tokens. A real server process each time (``serve`` against the
emulator), real sockets, and a normal MCP client that must still get through."""

from __future__ import annotations

import contextlib
import os
import resource
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client

from mcp_antigravity.server.httpguard import transport_security

from ..conftest import PROJECT, TOKEN, text_of

pytestmark = pytest.mark.anyio
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "flood", "version": "1"},
    },
}
JSON = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


@dataclass
class Server:
    url: str
    """The MCP endpoint."""
    process: subprocess.Popen[str]

    @property
    def open_descriptors(self) -> int:
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))


@contextlib.contextmanager
def server(upstream: str, tmp_path: Path, *args: str, **env: str) -> Iterator[Server]:
    config = tmp_path / "config.toml"
    config.write_text("")
    process = subprocess.Popen(
        [sys.executable, "-m", "mcp_antigravity", "serve", "--port", "0", *args],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("ANTIGRAVITY_")},
            "ANTIGRAVITY_ENDPOINTS": upstream,
            "ANTIGRAVITY_ACCESS_TOKEN": TOKEN,
            "ANTIGRAVITY_PROJECT": PROJECT,
            "ANTIGRAVITY_CONFIG_FILE": str(config),
            "ANTIGRAVITY_DATA_DIR": str(tmp_path / "data"),
            **env,
        },
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if "endpoint on" in line:
            break
    else:
        raise AssertionError(f"server did not start (exit {process.wait()})")
    threading.Thread(target=process.stderr.read, daemon=True).start()
    try:
        yield Server(line.rsplit(" ", 1)[-1].strip(), process)
    finally:
        process.terminate()
        process.wait(timeout=10)


async def normal_client_works(url: str, prompt: str = "still served") -> None:
    with anyio.fail_after(30):
        async with Client(url, mode="legacy") as client:
            result = await client.call_tool("chat", {"prompt": prompt})
    assert not result.is_error and text_of(result) == f"Echo: {prompt}", text_of(result)


def address_of(url: str) -> tuple[str, int]:
    netloc = url.split("/")[2]
    host, port = netloc.rsplit(":", 1)
    return host.strip("[]"), int(port)


# ----------------------------------------------------------------------------- slow connections


def descriptors_for(wanted: int) -> int:
    """Raise this process's descriptor limit as far as allowed; how many slow connections fit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, wanted + 200)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(target, wanted + 200), hard))
    return min(wanted, resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 200)


async def test_a_slow_connection_flood_leaves_a_normal_client_working(
    emulator: tuple[Any, str], tmp_path: Path
) -> None:
    _, upstream = emulator
    cap = 200
    count = descriptors_for(1100)
    assert count > 2 * cap, "this machine cannot open enough sockets for the test"
    with server(
        upstream, tmp_path, "--transport", "streamable-http", ANTIGRAVITY_HTTP_MAX_CONNECTIONS=str(cap)
    ) as running:
        address = address_of(running.url)
        slow: list[socket.socket] = []
        try:
            for _ in range(count):  # every one sends half a request head, then drips
                sock = socket.create_connection(address)
                sock.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                slow.append(sock)
            for sock in slow:
                with contextlib.suppress(OSError):
                    sock.send(b"X")
            await normal_client_works(running.url)
            assert running.open_descriptors < cap + 100  # the flood did not take the server's descriptors
        finally:
            for sock in slow:
                sock.close()
        await normal_client_works(running.url, "after the flood")


async def test_headers_dripped_slowly_are_cut_off_with_408(emulator: tuple[Any, str], tmp_path: Path) -> None:
    _, upstream = emulator
    with server(
        upstream, tmp_path, "--transport", "streamable-http", ANTIGRAVITY_HTTP_HEADER_TIMEOUT="1"
    ) as running:
        stream = await anyio.connect_tcp(*address_of(running.url))
        received = b""
        with anyio.fail_after(20):
            async with stream:
                await stream.send(b"POST /mcp HTTP/1.1\r\n")

                async def drip() -> None:  # faster than the timeout, forever: it must not extend it
                    with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
                        while True:
                            await stream.send(b"X-Drip: 1\r\n")
                            await anyio.sleep(0.2)

                async with anyio.create_task_group() as group:
                    group.start_soon(drip)
                    with contextlib.suppress(anyio.EndOfStream, anyio.BrokenResourceError):
                        while True:
                            received += await stream.receive()
                    group.cancel_scope.cancel()
        assert received.startswith(b"HTTP/1.1 408 ")


# ----------------------------------------------------------------------------- session floods


async def initialize(http: httpx2.AsyncClient, url: str) -> str | None:
    response = await http.post(url, json=INITIALIZE, headers=JSON)
    return response.headers.get("mcp-session-id") if response.status_code == 200 else None


async def test_a_session_flood_leaves_new_and_active_clients_working(
    emulator: tuple[Any, str], tmp_path: Path
) -> None:
    _, upstream = emulator
    cap = 40
    with server(
        upstream, tmp_path, "--transport", "streamable-http", ANTIGRAVITY_HTTP_MAX_SESSIONS=str(cap)
    ) as running:
        flood_ids: list[str] = []
        async with (
            Client(running.url, mode="legacy") as active,
            httpx2.AsyncClient(timeout=30, limits=httpx2.Limits(max_connections=8)) as http,
        ):
            assert not (await active.call_tool("chat", {"prompt": "before"})).is_error

            async def flood(batch: int) -> None:
                for _ in range(batch):
                    session = await initialize(http, running.url)
                    assert session is not None  # never turned away while idle sessions can make room
                    flood_ids.append(session)

            with anyio.fail_after(120):
                async with anyio.create_task_group() as group:
                    for _ in range(8):
                        group.start_soon(flood, 50)  # 400 sessions, ten times the cap
                    await normal_client_works(running.url, "during the flood")
            # the client that was using its session kept it
            result = await active.call_tool("chat", {"prompt": "after"})
            assert not result.is_error and text_of(result) == "Echo: after"
            # and the server holds no more than its cap: the oldest flood sessions are gone
            alive = 0
            for session in flood_ids:
                alive += await ping(http, running.url, session) != 404
            assert alive <= cap
        await normal_client_works(running.url, "after the flood")


async def ping(http: httpx2.AsyncClient, url: str, session: str) -> int:
    response = await http.post(
        url,
        json={"jsonrpc": "2.0", "id": 2, "method": "ping"},
        headers={**JSON, "mcp-session-id": session, "mcp-protocol-version": "2025-11-25"},
    )
    return response.status_code


async def test_requests_of_the_sessionless_protocol_never_end_a_session(
    emulator: tuple[Any, str], tmp_path: Path
) -> None:
    _, upstream = emulator
    with server(
        upstream, tmp_path, "--transport", "streamable-http", ANTIGRAVITY_HTTP_MAX_SESSIONS="2"
    ) as running:
        async with httpx2.AsyncClient(timeout=30) as http:
            sessions = [str(await initialize(http, running.url)) for _ in range(2)]
            async with Client(running.url) as modern:  # the 2026 protocol: every request self-contained
                for number in range(3):
                    assert not (await modern.call_tool("chat", {"prompt": f"modern {number}"})).is_error
            assert [await ping(http, running.url, s) for s in sessions] == [200, 200]


# ----------------------------------------------------------------------------- concurrency


@contextlib.asynccontextmanager
async def open_stream(http: httpx2.AsyncClient, url: str, session: str) -> AsyncIterator[httpx2.Response]:
    """A standalone GET stream: one request that stays in progress until closed."""
    headers = {"Accept": "text/event-stream", "mcp-session-id": session, "mcp-protocol-version": "2025-11-25"}
    async with http.stream("GET", url, headers=headers) as response:
        yield response


async def test_past_the_concurrency_limit_requests_get_503_and_retry_after(
    emulator: tuple[Any, str], tmp_path: Path
) -> None:
    _, upstream = emulator
    with server(
        upstream, tmp_path, "--transport", "streamable-http", ANTIGRAVITY_HTTP_MAX_CONCURRENT_REQUESTS="2"
    ) as running:
        async with httpx2.AsyncClient(timeout=30) as http:
            sessions = [await initialize(http, running.url) for _ in range(2)]
            assert all(sessions)
            async with contextlib.AsyncExitStack() as streams:
                for session in sessions:
                    opened = await streams.enter_async_context(open_stream(http, running.url, str(session)))
                    assert opened.status_code == 200
                refused = await http.post(running.url, json=INITIALIZE, headers=JSON)
            assert refused.status_code == 503
            assert refused.headers["retry-after"] == "1"
            assert "ANTIGRAVITY_HTTP_MAX_CONCURRENT_REQUESTS" in refused.text
        await normal_client_works(running.url)  # the streams closed: room again


# ----------------------------------------------------------------------------- hosts and tokens


def ipv6_loopback() -> bool:
    try:
        socket.create_server(("::1", 0), family=socket.AF_INET6).close()
    except OSError:
        return False
    return True


@pytest.mark.parametrize("host", ["127.0.0.2", "::1", "localhost"])
async def test_rebinding_protection_is_on_for_every_loopback_address(
    emulator: tuple[Any, str], tmp_path: Path, host: str
) -> None:
    _, upstream = emulator
    if host == "::1" and not ipv6_loopback():
        pytest.skip("this machine has no IPv6 loopback address to listen on")
    with server(upstream, tmp_path, "--transport", "streamable-http", "--host", host) as running:
        async with httpx2.AsyncClient(timeout=30) as http:
            foreign = await http.post(running.url, json=INITIALIZE, headers={**JSON, "Host": "evil.example"})
            origin = await http.post(
                running.url, json=INITIALIZE, headers={**JSON, "Origin": "http://evil.example"}
            )
            own = await http.post(running.url, json=INITIALIZE, headers=JSON)
        assert foreign.status_code == 421 and origin.status_code == 403
        assert own.status_code == 200


def test_rebinding_protection_table() -> None:
    loopback = transport_security("127.0.0.5", [])
    assert loopback is not None and loopback.enable_dns_rebinding_protection
    assert {"127.0.0.5:*", "localhost:*", "[::1]:*", "127.0.0.1"} <= set(loopback.allowed_hosts)
    assert "http://127.0.0.5:*" in loopback.allowed_origins
    behind = transport_security("0.0.0.0", ["mcp.example.com", "mcp.example.com:8443"])
    assert behind is not None
    assert set(behind.allowed_hosts) == {"mcp.example.com", "mcp.example.com:*", "mcp.example.com:8443"}
    assert "https://mcp.example.com" in behind.allowed_origins
    assert transport_security("0.0.0.0", []) is None


@pytest.mark.parametrize("token", ["", "   ", "short"])
def test_a_blank_or_short_token_is_refused_at_start(tmp_path: Path, token: str) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mcp_antigravity",
            "serve",
            "--transport",
            "streamable-http",
            "--host",
            "0.0.0.0",
        ],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("ANTIGRAVITY_")},
            "ANTIGRAVITY_HTTP_TOKEN": token,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "ANTIGRAVITY_HTTP_TOKEN" in result.stderr and "at least 16 characters" in result.stderr
