"""Benchmarks on loopback: the emulator's validator, the client, and the chat tool end to end.

    python bench/run.py [--calls 200]

Prints a table of throughput and latency percentiles, and the process's peak memory.
Timings on shared machines are noisy: compare runs made on the same machine, side by side.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable

import anyio
import anyio.lowlevel
from mcp import Client

from mcp_antigravity import build_server, load_settings
from mcp_antigravity.antigravity import AntigravityClient, open_http_client
from mcp_antigravity.antigravity.wire import Content, GenerateContentRequest, Part
from mcp_antigravity.emulator import EmulatorConfig, running_emulator
from mcp_antigravity.emulator.validation import check_envelope

TOKEN, PROJECT = "bench-token", "bench-project"
PROMPT = " ".join(f"word{i}" for i in range(40))


def report(name: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1000
    p95 = ordered[int(len(ordered) * 0.95) - 1] * 1000
    rate = len(ordered) / sum(ordered)
    print(f"{name:<34} {len(ordered):>6} {rate:>10.0f}/s {p50:>9.2f} ms {p95:>9.2f} ms")


async def timed(calls: int, action: Callable[[], Awaitable[object]]) -> list[float]:
    await action()  # warm up
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        await action()
        samples.append(time.perf_counter() - started)
    return samples


def bench_validator(calls: int) -> None:
    parameters = {
        "type": "object",
        "properties": {f"p{i}": {"type": "string", "description": "x"} for i in range(20)},
        "required": ["p0"],
    }
    body = {
        "project": PROJECT,
        "model": "gemini-3-flash",
        "requestId": "r",
        "request": {
            "contents": [{"role": "user", "parts": [{"text": PROMPT}]}] * 10,
            "tools": [
                {"functionDeclarations": [{"name": f"tool_{i}", "parameters": parameters} for i in range(10)]}
            ],
        },
    }
    samples = []
    for _ in range(calls * 10):
        started = time.perf_counter()
        check_envelope(body, frozenset({PROJECT}))
        samples.append(time.perf_counter() - started)
    report("emulator: validate 10 tools", samples)


async def bench_loopback(calls: int) -> None:
    async with running_emulator(EmulatorConfig(token=TOKEN, project=PROJECT)) as (_, url):
        scratch = tempfile.mkdtemp(
            prefix="mcp-antigravity-bench-"
        )  # sessions of the bench stay out of user data
        settings = load_settings(endpoints=[url], access_token=TOKEN, project=PROJECT, data_dir=scratch)
        request = GenerateContentRequest(contents=[Content(role="user", parts=[Part(text=PROMPT)])])
        async with open_http_client(settings) as http:
            client = AntigravityClient(settings, http)
            report(
                "client: generate (unary)",
                await timed(calls, lambda: client.generate("claude-sonnet-4-6", request)),
            )
            report(
                "client: stream (11 chunks)",
                await timed(calls, lambda: client.stream("claude-sonnet-4-6", request)),
            )
        async with Client(build_server(settings)) as mcp:
            arguments = {"prompt": PROMPT, "model": "claude-sonnet-4-6"}
            report(
                "chat tool: in-memory MCP client",
                await timed(calls, lambda: mcp.call_tool("chat", arguments)),
            )


def bomb(levels: int = 13) -> dict[str, object]:
    """A schema of definitions that each refer to the next three times (refused: its expansion is bounded)."""
    defs: dict[str, object] = {
        f"D{i}": {"type": "object", "properties": {f"p{j}": {"$ref": f"#/$defs/D{i + 1}"} for j in range(3)}}
        for i in range(levels)
    }
    defs[f"D{levels}"] = {"type": "string"}
    return {"type": "object", "properties": {"root": {"$ref": "#/$defs/D0"}}, "$defs": defs}


async def bench_loop_stall(rounds: int) -> None:
    """How long the event loop stalls while schema bombs are refused, as a share of the time they take.

    Near 1.0 means the work ran on the loop and every other caller waited; the anchor is the
    bombs' own duration in the same run, so the ratio holds on a noisy machine."""
    async with running_emulator(EmulatorConfig(token=TOKEN, project=PROJECT)) as (_, url):
        scratch = tempfile.mkdtemp(prefix="mcp-antigravity-bench-")
        settings = load_settings(endpoints=[url], access_token=TOKEN, project=PROJECT, data_dir=scratch)
        async with Client(build_server(settings)) as mcp:
            gaps: list[float] = []
            done = anyio.Event()

            async def ticker() -> None:
                last = time.perf_counter()
                while not done.is_set():
                    await anyio.lowlevel.checkpoint()
                    now = time.perf_counter()
                    gaps.append(now - last)
                    last = now

            started = time.perf_counter()
            async with anyio.create_task_group() as group:
                group.start_soon(ticker)
                for _ in range(rounds):
                    result = await mcp.call_tool("chat", {"prompt": "x", "response_schema": bomb()})
                    assert result.is_error
                done.set()
            spent = time.perf_counter() - started
    print(
        f"{'loop stall during schema bombs':<34} {rounds:>6} "
        f"longest stall {max(gaps) * 1000:.1f} ms = {max(gaps) / (spent / rounds):.2f} of one bomb's time"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=200)
    calls = parser.parse_args().calls
    print(f"{'benchmark':<34} {'calls':>6} {'throughput':>12} {'p50':>12} {'p95':>12}")
    bench_validator(calls)
    anyio.run(bench_loopback, calls)
    anyio.run(bench_loop_stall, 10)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
