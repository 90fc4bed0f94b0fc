"""The performance goals, each measured against its anchor in the same run.

    python bench/goals.py [--only NAME ...] [--runs 3]

``replicas`` needs ``redis-server`` (it starts its own).

Every row is a ratio (or a difference) between this server and an anchor measured right
beside it on the same machine, so the figures hold on a shared, noisy machine; absolute
times are printed for reference only. The upstream is the emulator, in a process of its own
(so that its own work does not compete with the server under test), slowed to 300 ms per
generation where a row says so.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import functools
import importlib
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
from mcp import Client, StdioServerParameters
from mcp.server import MCPServer

from mcp_antigravity import build_server, load_settings
from mcp_antigravity.antigravity import AntigravityClient, open_http_client
from mcp_antigravity.antigravity.wire import Content, GenerateContentRequest, Part
from mcp_antigravity.config import Settings
from mcp_antigravity.conversation.service import ChatRequest
from mcp_antigravity.server.runtime import open_services

TOKEN, PROJECT, MODEL = "bench-token-0123456789", "bench-project", "claude-sonnet-4-6"
PROMPT = " ".join(f"word{i}" for i in range(40))
CLI = shutil.which("mcp-antigravity") or "mcp-antigravity"
ROWS: list[tuple[str, str, str, str]] = []


def row(metric: str, ours: str, anchor: str, verdict: str) -> None:
    ROWS.append((metric, ours, anchor, verdict))
    print(f"{metric:<48} {ours:>22} {anchor:>22}   {verdict}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, deadline: float = 20.0) -> None:
    stop = time.monotonic() + deadline
    while time.monotonic() < stop:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise RuntimeError(f"nothing listens on {port}")


@contextmanager
def emulator(delay: float | None) -> Iterator[str]:
    """The emulator in its own process; every generation waits ``delay`` seconds first."""
    port = free_port()
    faults = ["--fault", f"slow:delay={delay},times=0,model={MODEL}"] if delay else []
    process = subprocess.Popen(
        [CLI, "emulator", "--port", str(port), "--token", TOKEN, "--project", PROJECT, *faults],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ANTIGRAVITY_LOG_LEVEL": "WARNING"},
    )
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait()


@contextmanager
def http_server(url: str, scratch: str) -> Iterator[str]:
    """``serve --transport streamable-http`` in its own process against ``url``; yields its endpoint."""
    port = free_port()
    server = subprocess.Popen(
        [CLI, "serve", "--transport", "streamable-http", "--port", str(port)],
        env=env_for(url, scratch),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        server.terminate()
        server.wait()


def settings_for(url: str, scratch: str) -> Settings:
    return load_settings(
        endpoints=[url], access_token=TOKEN, project=PROJECT, data_dir=scratch, default_model=MODEL
    )


def env_for(url: str, scratch: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("ANTIGRAVITY_")},
        "ANTIGRAVITY_ENDPOINTS": url,
        "ANTIGRAVITY_ACCESS_TOKEN": TOKEN,
        "ANTIGRAVITY_PROJECT": PROJECT,
        "ANTIGRAVITY_DATA_DIR": scratch,
        "ANTIGRAVITY_DEFAULT_MODEL": MODEL,
        "ANTIGRAVITY_LOG_LEVEL": "WARNING",
    }


async def wire_request(settings: Settings) -> tuple[str, dict[str, str], bytes]:
    """The URL, headers and body the server sends for one chat turn (for the anchors)."""
    async with open_http_client(settings) as http:
        client = AntigravityClient(settings, http)
        request = GenerateContentRequest(contents=[Content(role="user", parts=[Part(text=PROMPT)])])
        body = await client._envelope(MODEL, request, "agent", PROJECT)
        headers = await client._headers(client.accounts.first(), stream=True)
    return (
        f"{settings.endpoints[0]}/v1internal:streamGenerateContent?alt=sse",
        headers,
        json.dumps(body).encode(),
    )


async def raw_post(url: str, headers: dict[str, str], body: bytes) -> None:
    """The floor: one HTTP/1.1 request on a fresh asyncio connection, read to the end."""
    target = httpx2.URL(url)
    reader, writer = await asyncio.open_connection(target.host, target.port)
    head = [
        f"POST {target.raw_path.decode()} HTTP/1.1",
        f"Host: {target.host}:{target.port}",
        "Connection: close",
    ]
    head += [f"{k}: {v}" for k, v in headers.items()] + [f"Content-Length: {len(body)}", "", ""]
    writer.write("\r\n".join(head).encode() + body)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    if not answer.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(answer[:200].decode(errors="replace"))


async def together(count: int, action: Callable[[], Coroutine[Any, Any, object]]) -> float:
    started = time.perf_counter()
    async with anyio.create_task_group() as group:
        for _ in range(count):
            group.start_soon(action)
    return time.perf_counter() - started


def median_of(runs: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(runs))


async def checked_chat(client: Client) -> None:
    result = await client.call_tool("chat", {"prompt": PROMPT, "model": MODEL})
    if result.is_error:
        raise RuntimeError(str(result.content))


# ----------------------------------------------------------------------------- concurrency


async def concurrency(runs: int, counts: tuple[int, ...] = (200, 1000)) -> None:
    with emulator(0.3) as url:
        scratch = tempfile.mkdtemp(prefix="mcp-antigravity-bench-")
        settings = settings_for(url, scratch)
        target, headers, body = await wire_request(settings)
        async with Client(build_server(settings)) as client:
            await checked_chat(client)  # warm: identity, project, catalog
            for count in counts:
                anchor = statistics.median(
                    [await together(count, lambda: raw_post(target, headers, body)) for _ in range(runs)]
                )
                ours = statistics.median(
                    [await together(count, lambda: checked_chat(client)) for _ in range(runs)]
                )
                goal = 1.5 if count == 200 else 4.0
                ratio = ours / anchor
                row(
                    f"{count} concurrent chats, 300 ms upstream, in-memory",
                    f"{ours:.2f} s",
                    f"raw asyncio {anchor:.2f} s",
                    f"{ratio:.2f}x (goal <= {goal}x) {'met' if ratio <= goal else 'NOT met'}",
                )
        with http_server(url, tempfile.mkdtemp(prefix="mcp-antigravity-bench-")) as endpoint:
            async with Client(endpoint) as client:
                await checked_chat(client)
                anchor = statistics.median(
                    [await together(200, lambda: raw_post(target, headers, body)) for _ in range(runs)]
                )
                ours = statistics.median(
                    [await together(200, lambda: checked_chat(client)) for _ in range(runs)]
                )
        ratio = ours / anchor
        row(
            "200 concurrent chats, 300 ms upstream, HTTP",
            f"{ours:.2f} s",
            f"raw asyncio {anchor:.2f} s",
            f"{ratio:.2f}x (goal <= 2.5x) {'met' if ratio <= 2.5 else 'NOT met'}",
        )


# ----------------------------------------------------------------------------- added latency


async def p50(calls: int, action: Callable[[], Awaitable[object]]) -> float:
    for _ in range(5):
        await action()
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        await action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


async def latency(calls: int) -> None:
    with emulator(None) as url:
        scratch = tempfile.mkdtemp(prefix="mcp-antigravity-bench-")
        settings = settings_for(url, scratch)
        target, headers, body = await wire_request(settings)
        async with httpx2.AsyncClient() as http:

            async def raw() -> None:
                async with http.stream("POST", target, headers=headers, content=body) as response:
                    await response.aread()

            anchor = await p50(calls, raw)
        surfaces: list[tuple[str, float, Callable[[], Any]]] = [
            ("in-memory", 1.0, lambda: Client(build_server(settings))),
            (
                "stdio",
                2.0,
                lambda: Client(StdioServerParameters(command=CLI, args=["serve"], env=env_for(url, scratch))),
            ),
        ]
        for name, goal, connect in surfaces:
            async with connect() as client:
                ours = await p50(calls, functools.partial(checked_chat, client))
            added = (ours - anchor) * 1000
            row(
                f"chat added latency p50, {name}",
                f"{ours * 1000:.2f} ms (+{added:.2f})",
                f"httpx2 POST {anchor * 1000:.2f} ms",
                f"+{added:.2f} ms (goal <= +{goal}) {'met' if added <= goal else 'NOT met'}",
            )
        with http_server(url, scratch) as endpoint:
            async with Client(endpoint) as client:
                ours = await p50(calls, lambda: checked_chat(client))
        added = (ours - anchor) * 1000
        row(
            "chat added latency p50, HTTP",
            f"{ours * 1000:.2f} ms (+{added:.2f})",
            f"httpx2 POST {anchor * 1000:.2f} ms",
            f"+{added:.2f} ms (goal <= +2.5) {'met' if added <= 2.5 else 'NOT met'}",
        )


# ----------------------------------------------------------------------------- layers

TRIVIAL = MCPServer("trivial")


@TRIVIAL.tool()
async def trivial(prompt: str, model: str = MODEL) -> str:
    """The SDK's own cost of one tool call: no work at all."""
    return prompt[:5]


async def layers(calls: int) -> None:
    """Where the added latency and the concurrency overhead go: each layer of one chat call
    timed on its own, interleaved call by call so that the machine's noise falls on all alike.

    raw stream: the anchor of the latency rows (httpx2, the same body, read whole);
    client.stream: + the upstream client (headers, retry loop, SSE events parsed and merged);
    take_turn: + the conversation service (model resolution, turn building, commit to SQLite);
    chat in-memory: + the MCP surface and the SDK client; trivial tool: the SDK alone."""
    async with AsyncExitStack() as stack:
        for delay, count in ((None, 1), (0.3, 200)):
            url = stack.enter_context(emulator(delay))
            settings = settings_for(url, tempfile.mkdtemp(prefix="mcp-antigravity-bench-"))
            target, headers, body = await wire_request(settings)
            http = await stack.enter_async_context(
                httpx2.AsyncClient(limits=httpx2.Limits(max_connections=None))
            )
            services = await open_services(settings, stack, remote=False)
            request = GenerateContentRequest(contents=[Content(role="user", parts=[Part(text=PROMPT)])])
            chat = await stack.enter_async_context(Client(build_server(settings)))
            sdk = await stack.enter_async_context(Client(TRIVIAL))

            async def raw() -> None:
                async with http.stream("POST", target, headers=headers, content=body) as response:
                    await response.aread()

            steps: dict[str, Callable[[], Coroutine[Any, Any, object]]] = {
                "raw asyncio": lambda: raw_post(target, headers, body),
                "raw httpx2 stream": raw,
                "client.stream": lambda: services.client.stream(MODEL, request),
                "take_turn": lambda: services.conversations.take_turn(
                    ChatRequest(prompt=PROMPT, model=MODEL)
                ),
                "chat in-memory": lambda: checked_chat(chat),
                "SDK trivial tool": lambda: sdk.call_tool("trivial", {"prompt": PROMPT, "model": MODEL}),
            }
            for step in steps.values():
                await step()  # warm: identity, project, catalog, connections
            if count == 1:
                samples: dict[str, list[float]] = {name: [] for name in steps}
                for _ in range(calls):
                    for name, step in steps.items():
                        started = time.perf_counter()
                        await step()
                        samples[name].append(time.perf_counter() - started)
                for name, taken in samples.items():
                    row(f"layer p50, {name}", f"{statistics.median(taken) * 1000:.2f} ms", "", "")
            else:
                for name, step in steps.items():
                    seconds = statistics.median([await together(count, step) for _ in range(3)])
                    row(f"layer, {count} concurrent, 300 ms upstream, {name}", f"{seconds:.2f} s", "", "")


# ----------------------------------------------------------------------------- cold start

HELLO = """
from mcp.server import MCPServer
server = MCPServer("hello")
@server.tool()
def hello() -> str:
    return "hello"
server.run()
"""


async def cold_start(runs: int) -> None:
    scratch = tempfile.mkdtemp(prefix="mcp-antigravity-bench-")
    hello = Path(scratch) / "hello.py"
    hello.write_text(HELLO)
    env = env_for("http://127.0.0.1:9", scratch)

    async def start(parameters: StdioServerParameters) -> float:
        started = time.perf_counter()
        async with Client(parameters):
            return time.perf_counter() - started

    ours = statistics.median(
        [await start(StdioServerParameters(command=CLI, args=["serve"], env=env)) for _ in range(runs)]
    )
    anchor = statistics.median(
        [
            await start(StdioServerParameters(command=sys.executable, args=[str(hello)], env=env))
            for _ in range(runs)
        ]
    )
    row(
        "stdio cold start to initialize",
        f"{ours * 1000:.0f} ms",
        f"hello MCPServer {anchor * 1000:.0f} ms",
        f"{ours / anchor:.2f}x (goal <= 1.2x) {'met' if ours / anchor <= 1.2 else 'NOT met'}",
    )

    def run(*command: str) -> float:
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        return time.perf_counter() - started

    version = median_of(max(runs, 5), lambda: run(CLI, "--version"))
    bare = median_of(max(runs, 5), lambda: run(sys.executable, "-c", "pass"))
    row(
        "--version",
        f"{version * 1000:.0f} ms",
        f"python -c pass {bare * 1000:.0f} ms",
        f"{version * 1000:.0f} ms (goal <= 150 ms) {'met' if version <= 0.150 else 'NOT met'}",
    )


# ----------------------------------------------------------------------------- memory


def png_of(size: int) -> bytes:
    """A valid PNG of about ``size`` bytes (one stored, uncompressible chunk of pixels)."""
    import struct
    import zlib

    width = 1024
    height = max(1, size // (width * 3))
    raw = os.urandom(height * (width * 3 + 1))
    rows = bytearray()
    for y in range(height):
        rows += b"\0" + raw[y * (width * 3 + 1) + 1 : (y + 1) * (width * 3 + 1)]

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 0))
        + chunk(b"IEND", b"")
    )


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


async def memory() -> None:
    with emulator(None) as url:
        scratch = tempfile.mkdtemp(prefix="mcp-antigravity-bench-")
        image = png_of(14_500_000)  # about the largest whose base64 fits the upstream's 20 MB request
        path = Path(scratch) / "big.png"
        path.write_bytes(image)
        env = env_for(url, scratch) | {
            "ANTIGRAVITY_FILE_ROOTS": scratch,
            "ANTIGRAVITY_MEDIA_MAX_BYTES": str(40_000_000),
        }
        forms = [
            ("by path", str(path), 3.0),
            ("as data: URI", "data:image/png;base64," + base64.b64encode(image).decode(), 4.0),
        ]
        for name, source, goal in forms:
            parameters = StdioServerParameters(command=CLI, args=["serve"], env=env)
            async with Client(parameters) as client:
                await client.call_tool("chat", {"prompt": "warm up", "model": MODEL})
                small = "data:image/png;base64," + base64.b64encode(png_of(10_000)).decode()
                await client.call_tool("vision", {"prompt": "warm up", "image": small})  # first-call set-up
                pid = _server_pid(scratch)
                Path(f"/proc/{pid}/clear_refs").write_text("5")  # the high-water mark starts from here
                before = status_kib(pid, "VmRSS")
                result = await client.call_tool("vision", {"prompt": "what is it?", "image": source})
                if result.is_error:
                    raise RuntimeError(str(result.content))
                peak = status_kib(pid, "VmHWM")
            ratio = (peak - before) * 1024 / len(image)
            row(
                f"peak RSS, 15 MB image {name}",
                f"+{(peak - before) / 1024:.0f} MiB",
                f"payload {len(image) / 2**20:.0f} MiB",
                f"{ratio:.1f}x (goal <= {goal}x) {'met' if ratio <= goal else 'NOT met'}",
            )


def _server_pid(scratch: str) -> int:
    """The server child of this process serving ``scratch`` (found by its environment)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if f"ANTIGRAVITY_DATA_DIR={scratch}".encode() in environ and b"serve" in cmdline:
            return int(entry.name)
    raise RuntimeError("server process not found")


# ----------------------------------------------------------------------------- schema cleaning


def cleaning(runs: int) -> None:
    from mcp_antigravity.conversation.schema import clean_json_schema

    corpus = Path(__file__).parent.parent / "tests" / "corpus"
    schemas: list[dict[str, Any]] = []
    for file in sorted(corpus.glob("*.json")):
        loaded = json.loads(file.read_text())
        for tool in loaded if isinstance(loaded, list) else loaded.get("tools", []):
            schemas.append(tool.get("inputSchema") or tool.get("parameters") or {})

    def rate(clean: Callable[[dict[str, Any]], object]) -> float:
        started = time.perf_counter()
        rounds = 0
        while time.perf_counter() - started < 1.0:
            for schema in schemas:
                clean(schema)
            rounds += 1
        return rounds * len(schemas) / (time.perf_counter() - started)

    ours = statistics.median(rate(clean_json_schema) for _ in range(runs))
    try:  # optional, and untyped here: looked up by name so the type check does not need it installed
        transformer = importlib.import_module("pydantic_ai.profiles.google").GoogleJsonSchemaTransformer
    except ImportError:
        row("schema cleaning, real tool schemas", f"{ours / 1000:.0f}k/s", "pydantic-ai not installed", "-")
        return
    anchor = statistics.median(rate(lambda s: transformer(s).walk()) for _ in range(runs))
    row(
        "schema cleaning, real tool schemas",
        f"{ours / 1000:.0f}k/s",
        f"pydantic-ai {anchor / 1000:.0f}k/s",
        f"{ours / anchor:.2f}x (goal >= 1.5x) {'met' if ours / anchor >= 1.5 else 'NOT met'}",
    )


# ----------------------------------------------------------------------------- replicas


@contextmanager
def redis_server() -> Iterator[str]:
    """A redis-server of the bench's own (no persistence), with a password; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    port, password = free_port(), "bench-" + os.urandom(8).hex()
    process = subprocess.Popen(
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--requirepass",
            password,
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"redis://:{password}@127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait()


@contextmanager
def replica_set(count: int, url: str, store: str | None) -> Iterator[list[str]]:
    """``count`` stateless replicas (as docs/deploy runs them) against ``url``, on ``store``."""
    processes, endpoints = [], []
    try:
        for _ in range(count):
            port = free_port()
            env = env_for(url, tempfile.mkdtemp(prefix="mcp-antigravity-bench-"))
            if store is not None:
                env["ANTIGRAVITY_STORE"] = store
            processes.append(
                subprocess.Popen(
                    [CLI, "serve", "--transport", "streamable-http", "--stateless", "--port", str(port)],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            endpoints.append(f"http://127.0.0.1:{port}/mcp")
            wait_for_port(port)
        yield endpoints
    finally:
        for process in processes:
            process.terminate()
            process.wait()


STATELESS_CALL = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "tools/call",
    "params": {"name": "chat", "arguments": {"prompt": PROMPT, "model": MODEL}},
}
STATELESS_HEADERS = {
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
    "MCP-Protocol-Version": "2025-11-25",
}


async def stateless_chat(http: httpx2.AsyncClient, endpoint: str) -> None:
    """One chat as a load balancer passes it on: a plain POST, no MCP session."""
    response = await http.post(endpoint, json=STATELESS_CALL, headers=STATELESS_HEADERS)
    if response.status_code != 200 or '"isError":false' not in response.text.replace(" ", ""):
        raise RuntimeError(f"{response.status_code}: {response.text[:300]}")


async def replicas(runs: int, calls: int = 240) -> None:
    """Throughput of 1, 2 and 3 replicas on one Redis against a 300 ms upstream; ``calls`` at once,
    spread over the replicas in turn (240: under one replica's limit of 256 requests at once). The
    anchor is one replica on Redis, in the same run."""
    with emulator(0.3) as url, redis_server() as store:
        measured: dict[str, float] = {}
        limits = httpx2.Limits(max_connections=calls, max_keepalive_connections=calls)
        async with httpx2.AsyncClient(timeout=120, limits=limits) as http:
            for name, count, where in [
                ("1 on SQLite", 1, None),
                ("1", 1, store),
                ("2", 2, store),
                ("3", 3, store),
            ]:
                with replica_set(count, url, where) as endpoints:
                    for endpoint in endpoints:
                        await stateless_chat(http, endpoint)  # warm: identity, project, catalog

                    def spread() -> Iterator[str]:
                        while True:
                            yield from endpoints

                    turn = spread()

                    async def one() -> None:
                        await stateless_chat(http, next(turn))

                    times = [await together(calls, one) for _ in range(runs)]
                measured[name] = calls / statistics.median(times)
    anchor = measured["1"]
    row(
        "1 replica, SQLite store (the default)",
        f"{measured['1 on SQLite']:.0f} calls/s",
        f"1 on Redis {anchor:.0f} calls/s",
        f"{measured['1 on SQLite'] / anchor:.2f}x",
    )
    for many in ["2", "3"]:
        row(
            f"{many} replicas on one Redis, {calls} at once, 300 ms",
            f"{measured[many]:.0f} calls/s",
            f"1 replica {anchor:.0f} calls/s",
            f"{measured[many] / anchor:.2f}x (of {many}x at best; {os.cpu_count()} cores here)",
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument(
        "--only",
        nargs="*",
        choices=["concurrency", "latency", "layers", "cold", "memory", "cleaning", "replicas"],
    )
    args = parser.parse_args()
    chosen = set(args.only or ["concurrency", "latency", "layers", "cold", "memory", "cleaning", "replicas"])
    print(f"{'metric':<48} {'this server':>22} {'anchor, same run':>22}   ratio", flush=True)
    if "concurrency" in chosen:
        anyio.run(concurrency, args.runs)
    if "latency" in chosen:
        anyio.run(latency, args.calls)
    if "layers" in chosen:
        anyio.run(layers, args.calls)
    if "cold" in chosen:
        anyio.run(cold_start, args.runs)
    if "memory" in chosen:
        anyio.run(memory)
    if "cleaning" in chosen:
        cleaning(args.runs)
    if "replicas" in chosen:
        anyio.run(replicas, args.runs)
    print(f"bench process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
