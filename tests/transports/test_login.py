"""mcp-antigravity login against the emulator's consent page and token endpoint; the test plays the browser."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import anyio
import anyio.to_thread
import httpx2
import pytest
from mcp import Client
from mcp.types import TextContent

from mcp_antigravity import build_server
from mcp_antigravity.emulator import Emulator
from mcp_antigravity.login import LoginError, code_from

from ..conftest import make_settings

pytestmark = pytest.mark.anyio
Running = tuple[Emulator, str]


def login_env(url: str, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTIGRAVITY_")}
    env.update(
        ANTIGRAVITY_OAUTH_CLIENT_ID="desktop-client",
        ANTIGRAVITY_OAUTH_CLIENT_SECRET="desktop-secret",
        ANTIGRAVITY_OAUTH_AUTH_URL=f"{url}/o/oauth2/v2/auth",
        ANTIGRAVITY_OAUTH_TOKEN_URL=f"{url}/token",
        ANTIGRAVITY_OAUTH_USERINFO_URL=f"{url}/oauth2/v1/userinfo",
        ANTIGRAVITY_DATA_DIR=str(data),
    )
    return env


@pytest.fixture
def start_login() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def consent_url(process: subprocess.Popen[str]) -> str:
    assert process.stderr is not None
    for line in process.stderr:
        if "/o/oauth2/v2/auth?" in line:
            return line.strip()
    raise AssertionError("login printed no consent address")


async def test_login_through_the_loopback_callback(
    emulator: Running, tmp_path: Path, start_login: list[subprocess.Popen[str]]
) -> None:
    instance, url = emulator
    process = subprocess.Popen(
        [sys.executable, "-m", "mcp_antigravity", "login", "--no-browser", "--port", "0"],
        env=login_env(url, tmp_path),
        stderr=subprocess.PIPE,
        text=True,
    )
    start_login.append(process)
    address = await anyio.to_thread.run_sync(consent_url, process)
    assert "code_challenge_method=S256" in address and "access_type=offline" in address
    async with httpx2.AsyncClient(follow_redirects=True) as browser:
        page = await browser.get(address)
    assert page.status_code == 200 and "Login complete" in page.text
    assert await anyio.to_thread.run_sync(process.wait) == 0
    saved = tmp_path / "accounts.json"
    stored = json.loads(saved.read_text())["accounts"]
    assert [(a["email"], a["refresh_token"], a["state"]) for a in stored] == [
        ("user@example.com", "emulator-refresh-token", "active")
    ]
    assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600

    # The server now runs on the stored account alone.
    settings = make_settings(
        url,
        access_token=None,
        data_dir=tmp_path,
        oauth_client_id="desktop-client",
        oauth_client_secret="desktop-secret",
        oauth_token_url=f"{url}/token",
    )
    async with Client(build_server(settings)) as client:
        result = await client.call_tool("chat", {"prompt": "after login", "model": "claude-sonnet-4-6"})
    assert [c.text for c in result.content if isinstance(c, TextContent)] == ["Echo: after login"]
    assert instance.requests[-1]["auth"] == "valid"


async def test_login_by_pasting_the_address(
    emulator: Running, tmp_path: Path, start_login: list[subprocess.Popen[str]]
) -> None:
    _, url = emulator
    process = subprocess.Popen(
        [sys.executable, "-m", "mcp_antigravity", "login", "--no-browser", "--paste", "--port", "51999"],
        env=login_env(url, tmp_path),
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    start_login.append(process)
    address = await anyio.to_thread.run_sync(consent_url, process)
    async with httpx2.AsyncClient() as browser:
        redirected = (await browser.get(address)).headers["location"]  # where a headless browser would stop
    assert redirected.startswith("http://localhost:51999/oauth-callback?code=")
    assert process.stdin is not None
    process.stdin.write(redirected + "\n")
    process.stdin.flush()
    assert await anyio.to_thread.run_sync(process.wait) == 0
    stored = json.loads((tmp_path / "accounts.json").read_text())["accounts"]
    assert [(a["email"], a["refresh_token"]) for a in stored] == [
        ("user@example.com", "emulator-refresh-token")
    ]


def test_answers_from_another_login_are_refused() -> None:
    with pytest.raises(LoginError, match="does not belong to this login"):
        code_from("http://localhost:1/oauth-callback?code=abc&state=other", "mine")
    with pytest.raises(LoginError, match="consent was not given"):
        code_from("http://localhost:1/oauth-callback?error=access_denied&state=mine", "mine")
    assert code_from("http://localhost:1/oauth-callback?code=abc&state=mine", "mine") == "abc"


def test_login_needs_an_oauth_client(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTIGRAVITY_")}
    result = subprocess.run(
        [sys.executable, "-m", "mcp_antigravity", "login", "--no-browser", "--paste"],
        env={**env, "ANTIGRAVITY_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=30,
        input="",
        check=False,
    )
    assert result.returncode == 1 and "Set ANTIGRAVITY_OAUTH_CLIENT_ID" in result.stderr
