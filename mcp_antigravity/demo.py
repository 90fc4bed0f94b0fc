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
from urllib.parse import urlsplit

from mcp import Client, StdioServerParameters
from mcp.types import CallToolResult, TextContent
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .emulator import EmulatorConfig, running_emulator, serve_app
from .emulator.samples import data_uri, sample_png, sample_wav

DEMO_TOKEN = "demo-token"  # noqa: S105 - accepted only by the emulator

# One call per tool. A tool the server lists without an entry here fails the demo.
DEMO_CALLS: dict[str, dict[str, Any]] = {
    "chat": {
        "prompt": "Hello from the mcp-antigravity demo!",
        "model": "claude-sonnet-4-6",
        "system": "Answer briefly.",
    },
    "vision": {"prompt": "What is in this picture?", "image": data_uri(sample_png(64, 48), "image/png")},
    "image_generate": {"prompt": "A lighthouse at dawn, watercolor", "aspect_ratio": "16:9"},
    "transcribe": {"audio": data_uri(sample_wav(7.5), "audio/wav"), "timestamps": True, "speakers": True},
    "web_search": {"query": "서울 날씨 weather"},
    "web_reader": {"url": "{site}/article", "max_length": 300},
}
ARTICLE = """<html><head><title>Demo article</title></head><body><nav>Home | About</nav><article>
<h1>Reading the web, safely</h1><p>The web_reader tool fetches this page directly, extracts its main content and
returns it as Markdown, page by page.</p><p>Navigation and footers are left out, robots.txt is respected, and
internal addresses are refused.</p></article><footer>Demo footer</footer></body></html>"""


async def _article(request: Request) -> Response:
    return Response(ARTICLE, media_type="text/html; charset=utf-8")


DEMO_SITE = Starlette(routes=[Route("/article", _article)])


def _summary(result: CallToolResult) -> str:
    text = " ".join(c.text for c in result.content if isinstance(c, TextContent))
    text = text if len(text) <= 100 else text[:97] + "..."
    others = [c.type for c in result.content if not isinstance(c, TextContent)]
    return text + (f" (+{len(others)} {', '.join(sorted(set(others)))} block(s))" if others else "")


async def run_demo(echo: Callable[[str], None] = print) -> int:
    async with (
        running_emulator(EmulatorConfig(token=DEMO_TOKEN)) as (emulator, url),
        serve_app(DEMO_SITE) as site,
    ):
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
                    # the demo's own site and the emulator (its search redirect links), on their ports only
                    "ANTIGRAVITY_FETCH_ALLOW": f"{urlsplit(site).netloc},{urlsplit(url).netloc}",
                },
            )
            echo(f"mcp-antigravity demo: server over stdio, upstream = emulator at {url}")
            async with Client(params) as client:
                tools = (await client.list_tools()).tools
                echo(f"tools listed: {', '.join(t.name for t in tools)}")
                failures = 0
                for tool in tools:
                    failures += not await _call(client, tool.name, echo, site)
    requests = len(emulator.requests)
    echo(
        f"{len(tools) - failures}/{len(tools)} tool calls succeeded; the emulator served {requests} request(s)."
    )
    return 1 if failures or not tools else 0


async def _call(client: Client, name: str, echo: Callable[[str], None], site: str) -> bool:
    arguments = {
        k: v.replace("{site}", site) if isinstance(v, str) else v for k, v in DEMO_CALLS.get(name, {}).items()
    }
    if not arguments:
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
        f"  ok   {name} [{details.get('model') or details.get('engine', '?')}, {len(updates)} progress update(s), "
        f"{usage.get('total_tokens', '?')} tokens]: {_summary(result)}"
    )
    return True
