"""``mcp-antigravity demo``: the whole product, offline, in a few seconds.

Starts the emulator, launches the server over stdio in a child process pointed at it with
nothing but ``ANTIGRAVITY_ENDPOINTS``, ``ANTIGRAVITY_ACCESS_TOKEN`` and
``ANTIGRAVITY_PROJECT``, connects a real MCP client, calls every tool the server lists and
prints what came back. Exit status 0 only when every call succeeded.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mcp import Client, StdioServerParameters
from mcp.types import CallToolResult, TextContent

from .emulator import EmulatorConfig, running_emulator
from .emulator.samples import data_uri, sample_png, sample_wav

DEMO_TOKEN = "demo-token"  # noqa: S105 - accepted only by the emulator

# One call per tool. A tool the server lists without an entry here fails the demo.
DEMO_CALLS: dict[str, dict[str, Any]] = {
    "chat": {
        "prompt": "Hello from the mcp-antigravity demo!",
        "model": "claude-sonnet-4-5",
        "system": "Answer briefly.",
    },
    "vision": {"prompt": "What is in this picture?", "image": data_uri(sample_png(64, 48), "image/png")},
    "image_generate": {"prompt": "A lighthouse at dawn, watercolor", "aspect_ratio": "16:9"},
    "transcribe": {"audio": data_uri(sample_wav(7.5), "audio/wav"), "timestamps": True, "speakers": True},
}


def _summary(result: CallToolResult) -> str:
    text = " ".join(c.text for c in result.content if isinstance(c, TextContent))
    text = text if len(text) <= 100 else text[:97] + "..."
    others = [c.type for c in result.content if not isinstance(c, TextContent)]
    return text + (f" (+{len(others)} {', '.join(sorted(set(others)))} block(s))" if others else "")


async def run_demo(echo: Callable[[str], None] = print) -> int:
    async with running_emulator(EmulatorConfig(token=DEMO_TOKEN)) as (emulator, url):
        with tempfile.TemporaryDirectory() as scratch:
            empty_config = Path(scratch) / "config.toml"
            empty_config.write_text("")
            params = StdioServerParameters(
                command=sys.executable,
                args=["-m", "mcp_antigravity", "serve"],
                env={
                    "ANTIGRAVITY_ENDPOINTS": url,
                    "ANTIGRAVITY_ACCESS_TOKEN": DEMO_TOKEN,
                    "ANTIGRAVITY_PROJECT": emulator.config.project,
                    "ANTIGRAVITY_CONFIG_FILE": str(empty_config),
                    "ANTIGRAVITY_DATA_DIR": str(Path(scratch) / "data"),
                },
            )
            echo(f"mcp-antigravity demo: server over stdio, upstream = emulator at {url}")
            async with Client(params) as client:
                tools = (await client.list_tools()).tools
                echo(f"tools listed: {', '.join(t.name for t in tools)}")
                failures = 0
                for tool in tools:
                    failures += not await _call(client, tool.name, echo)
    requests = len(emulator.requests)
    echo(
        f"{len(tools) - failures}/{len(tools)} tool calls succeeded; the emulator served {requests} request(s)."
    )
    return 1 if failures or not tools else 0


async def _call(client: Client, name: str, echo: Callable[[str], None]) -> bool:
    arguments = DEMO_CALLS.get(name)
    if arguments is None:
        echo(f"  FAIL {name}: the demo has no call for this tool")
        return False
    updates: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append(progress)

    result = await client.call_tool(name, arguments, progress_callback=on_progress)
    if result.is_error:
        echo(f"  FAIL {name}: {_summary(result)}")
        return False
    details = result.structured_content or {}
    usage = details.get("usage", {})
    echo(
        f"  ok   {name} [{details.get('model', '?')}, {len(updates)} progress update(s), "
        f"{usage.get('total_tokens', '?')} tokens]: {_summary(result)}"
    )
    return True
