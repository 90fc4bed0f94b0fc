"""The official TypeScript SDK client against the server, over stdio, SSE and streamable HTTP,
and the conformance suite's scenarios that apply to this server."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import anyio.to_thread
import httpx2
import pytest

from mcp_antigravity.demo import DEMO_CALLS, DEMO_SITE
from mcp_antigravity.emulator import serve_app

from ..conftest import PROJECT, TOKEN

pytestmark = pytest.mark.anyio
HERE = Path(__file__).parent
SLOW_MODEL, CANCEL_MODEL = "gpt-oss-120b-medium", "claude-opus-4-6-thinking"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def process(command: list[str], env: dict[str, str], ready: str) -> Iterator[str]:
    """A child process that prints ``ready`` on stderr once it listens; yields that line."""
    child = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    assert child.stderr is not None
    for line in child.stderr:
        if ready in line:
            break
    else:
        raise AssertionError(f"{command} did not start (exit {child.wait()})")
    threading.Thread(target=child.stderr.read, daemon=True).start()
    try:
        yield line.strip()
    finally:
        child.terminate()
        child.wait(timeout=20)


def base_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTIGRAVITY_")}
    env.update(XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    return env


async def test_the_typescript_sdk_client(node_modules: Path, tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node is not None
    port = free_port()
    emulator = [
        sys.executable,
        "-m",
        "mcp_antigravity",
        "emulator",
        "--port",
        str(port),
        "--token",
        TOKEN,
        "--project",
        PROJECT,
        # no byte for 70 s, past the TypeScript SDK's 60 s default; and a call that will be cancelled
        "--fault",
        f"slow:delay=70,times=1,model={SLOW_MODEL}",
        "--fault",
        f"slow:delay=60,times=1,model={CANCEL_MODEL}",
    ]
    upstream = f"http://127.0.0.1:{port}"
    async with serve_app(DEMO_SITE) as site:
        server_env = base_env(tmp_path) | {
            "ANTIGRAVITY_ENDPOINTS": upstream,
            "ANTIGRAVITY_ACCESS_TOKEN": TOKEN,
            "ANTIGRAVITY_PROJECT": PROJECT,
            "ANTIGRAVITY_DATA_DIR": str(tmp_path / "server"),
            "ANTIGRAVITY_FETCH_ALLOW": f"{urlsplit(site).netloc},127.0.0.1:{port}",
        }
        serve = [sys.executable, "-m", "mcp_antigravity", "serve", "--port", "0", "--transport"]
        with (
            process(emulator, base_env(tmp_path), "Antigravity emulator on"),
            process([*serve, "streamable-http"], server_env, "endpoint on") as http_line,
            process([*serve, "sse"], server_env, "endpoint on") as sse_line,
        ):
            calls = {
                name: {
                    k: v.replace("{site}", site) if isinstance(v, str) else v for k, v in arguments.items()
                }
                for name, arguments in DEMO_CALLS.items()
            }
            plan = {
                "stdio": {
                    "command": sys.executable,
                    "args": ["-m", "mcp_antigravity", "serve"],
                    "env": server_env,
                },
                "http": http_line.rsplit(" ", 1)[-1],
                "sse": sse_line.rsplit(" ", 1)[-1],
                "calls": calls,
                "slow": {"tool": "chat", "arguments": {"prompt": "think long", "model": SLOW_MODEL}},
                "cancel": {"tool": "chat", "arguments": {"prompt": "never mind", "model": CANCEL_MODEL}},
                "emulator": upstream,
            }
            plan_file = tmp_path / "plan.json"
            plan_file.write_text(json.dumps(plan))
            command = [node, str(HERE / "ts_client.mjs"), str(plan_file)]
            # in a thread: this event loop serves the demo site the calls read
            ran = await anyio.to_thread.run_sync(
                lambda: subprocess.run(
                    command, cwd=HERE, capture_output=True, text=True, timeout=300, check=False
                )
            )
            assert ran.returncode == 0, ran.stderr
            report = json.loads(ran.stdout.strip().splitlines()[-1])
            async with httpx2.AsyncClient() as http:
                log = (await http.get(f"{upstream}/_emulator/requests")).json()["requests"]

    for transport in ("stdio", "sse", "http"):
        seen = report["transports"][transport]
        assert sorted(seen["tools"]) == sorted(DEMO_CALLS), transport
        assert seen["schemas"] is True, transport  # every tool with an output schema and annotations
        failed = {
            tool: call for tool, call in seen["calls"].items() if not (call["ok"] and call["structured"])
        }
        assert failed == {}, (transport, failed)  # and each result matched its schema (the SDK checks)
    slow = report["slow"]
    assert slow["ok"] is True and slow["seconds"] > 60, slow  # longer than the SDK's timeout, not cut
    assert slow["progress"] >= 10, slow  # a heartbeat every 5 s of silence
    assert report["cancel"]["cancelled"] is True
    assert report["cancel"]["upstreamClosed"] is True  # the cancellation reached the upstream request
    assert any(r.get("disconnected") for r in log if r.get("method") == "streamGenerateContent")


SCENARIOS = [
    "server-initialize",
    "ping",
    "tools-list",
    "resources-list",
    "prompts-list",
    "server-sse-multiple-streams",
    "dns-rebinding-protection",
]
"""The conformance scenarios that apply to this server (the others need the suite's own test
tools, prompts or handlers)."""


def test_the_conformance_scenarios_that_apply(node22: str, node_modules: Path, tmp_path: Path) -> None:
    serve = [
        sys.executable,
        "-m",
        "mcp_antigravity",
        "serve",
        "--transport",
        "streamable-http",
        "--port",
        "0",
        "--emulator",
    ]
    with process(serve, base_env(tmp_path), "endpoint on") as line:
        url = line.rsplit(" ", 1)[-1].replace("127.0.0.1", "localhost")
        results = {}
        for scenario in SCENARIOS:
            started = time.monotonic()
            ran = subprocess.run(
                [
                    node22,
                    str(node_modules / ".bin" / "conformance"),
                    "server",
                    "--url",
                    url,
                    "--scenario",
                    scenario,
                    "-o",
                    str(tmp_path / "results"),
                ],
                cwd=HERE,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            results[scenario] = (ran.returncode, round(time.monotonic() - started, 1), ran.stdout[-400:])
    assert {s: r[0] for s, r in results.items()} == dict.fromkeys(SCENARIOS, 0), results
