"""``mcp-antigravity demo``: the whole product, offline, in a few seconds.

Starts the emulator with two Google accounts (the first with quota for two calls of
``gemini-3-flash``), stores both in an accounts file, launches the server over stdio in a child
process pointed at the emulator, connects a real MCP client, calls every tool the server lists
and prints what came back, then which account served what and the quota view. The first account
runs out mid-way and the calls move to the second without the caller seeing it. Exit status 0
only when every call succeeded.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
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

from .accounts import Account, AccountsFile
from .emulator import EmulatorConfig, running_emulator, serve_app
from .emulator.accounts import EmulatedAccount
from .emulator.samples import data_uri, sample_png, sample_wav

DEMO_TOKEN = "demo-token"  # noqa: S105 - accepted only by the emulator
FIRST, SECOND = "first@demo.example", "second@demo.example"
DEMO_ACCOUNTS = [
    EmulatedAccount(FIRST, DEMO_TOKEN, "demo-refresh-1", "demo-project-1", quota={"gemini-3-flash": 2}),
    EmulatedAccount(SECOND, "demo-token-2", "demo-refresh-2", "demo-project-2"),
]

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
    config = EmulatorConfig(
        token=DEMO_TOKEN, email=FIRST, refresh_token=DEMO_ACCOUNTS[0].refresh_token, accounts=DEMO_ACCOUNTS
    )
    async with (
        running_emulator(config) as (emulator, url),
        serve_app(DEMO_SITE) as site,
    ):
        with tempfile.TemporaryDirectory() as scratch:
            empty_config = Path(scratch) / "config.toml"
            empty_config.write_text("")
            data = Path(scratch) / "data"
            AccountsFile(data / "accounts.json").update(
                lambda stored: stored.extend(
                    Account(a.email, a.refresh_token, added_at=time.time()) for a in DEMO_ACCOUNTS
                )
            )
            params = StdioServerParameters(
                command=sys.executable,
                args=["-m", "mcp_antigravity", "serve"],
                env={
                    "ANTIGRAVITY_ENDPOINTS": url,
                    "ANTIGRAVITY_OAUTH_CLIENT_ID": "demo-client",
                    "ANTIGRAVITY_OAUTH_CLIENT_SECRET": "demo-secret",
                    "ANTIGRAVITY_OAUTH_TOKEN_URL": f"{url}/token",
                    # one account at a time, so the move to the second one shows
                    "ANTIGRAVITY_ACCOUNT_STRATEGY": "sticky",
                    "ANTIGRAVITY_CONFIG_FILE": str(empty_config),
                    "ANTIGRAVITY_DATA_DIR": str(data),
                    # the demo's own site and the emulator (its search redirect links), on their ports only
                    "ANTIGRAVITY_FETCH_ALLOW": f"{urlsplit(site).netloc},{urlsplit(url).netloc}",
                },
            )
            echo(
                f"mcp-antigravity demo: server over stdio, upstream = emulator at {url}, accounts {FIRST}, {SECOND}"
            )
            async with Client(params) as client:
                tools = (await client.list_tools()).tools
                echo(f"tools listed: {', '.join(t.name for t in tools)}")
                failures = 0
                for tool in tools:
                    failures += not await _call(client, tool.name, echo, site)
                quota = await client.read_resource("antigravity://quota")
    _accounts(emulator.requests, quota.contents[0], echo)
    requests = len(emulator.requests)
    echo(
        f"{len(tools) - failures}/{len(tools)} tool calls succeeded; the emulator served {requests} request(s)."
    )
    return 1 if failures or not tools else 0


def _accounts(requests: Any, quota: Any, echo: Callable[[str], None]) -> None:
    """Which account answered which model call, and what the quota resource says of each."""
    calls = [r for r in requests if r.get("method") in ("generateContent", "streamGenerateContent")]
    view = {a["email"]: a for a in json.loads(getattr(quota, "text", "{}")).get("accounts", [])}
    for email in (FIRST, SECOND):
        answered = sum(1 for r in calls if r.get("account") == email and r.get("status") == 200)
        refused = sum(1 for r in calls if r.get("account") == email and r.get("status") == 429)
        cooling = ", ".join(
            f"{m}: {c['reason']}" for m, c in view.get(email, {}).get("cooldowns", {}).items()
        )
        echo(
            f"account {email}: answered {answered} call(s)"
            + (f", refused {refused} (quota)" if refused else "")
            + (f"; cooling for {cooling}" if cooling else "")
        )


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
