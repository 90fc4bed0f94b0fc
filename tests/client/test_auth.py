"""Refresh tokens: access tokens fetched, renewed ahead of expiry and after a 401, dead tokens reported."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import pytest
from mcp import Client
from mcp.types import TextContent

from mcp_antigravity import build_server
from mcp_antigravity.antigravity import AuthenticationError, CredentialsError
from mcp_antigravity.antigravity.wire import Content, GenerateContentRequest, Part
from mcp_antigravity.config import ConfigError, Settings
from mcp_antigravity.emulator import Emulator, EmulatorConfig, parse_fault, running_emulator

from ..conftest import PROJECT, TOKEN, make_client, make_settings

pytestmark = pytest.mark.anyio
ASK = GenerateContentRequest(contents=[Content(role="user", parts=[Part(text="hi")])])


def refresh_settings(
    url: str, refresh_token: str = "emulator-refresh-token", **overrides: object
) -> Settings:
    return make_settings(
        url,
        access_token=None,
        refresh_token=refresh_token,
        oauth_client_id="client-id",
        oauth_client_secret="client-secret",
        oauth_token_url=f"{url}/token",
        **overrides,
    )


def token_calls(emulator: Emulator) -> int:
    return sum(1 for r in emulator.requests if r["method"] == "token")


@pytest.fixture
async def short_lived() -> AsyncIterator[tuple[Emulator, str]]:
    async with running_emulator(EmulatorConfig(token=TOKEN, project=PROJECT, token_lifetime=30)) as running:
        yield running


def test_a_refresh_token_needs_its_client() -> None:
    with pytest.raises(ConfigError, match="ANTIGRAVITY_REFRESH_TOKEN needs ANTIGRAVITY_OAUTH_CLIENT_ID"):
        make_settings("http://127.0.0.1:1", refresh_token="x")


async def test_access_token_is_fetched_once_and_reused(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient
) -> None:
    instance, url = emulator
    client = make_client(http, refresh_settings(url))
    for _ in range(3):
        response, _ = await client.generate("claude-sonnet-4-6", ASK)
        assert response.candidates
    assert token_calls(instance) == 1
    token_request = next(r for r in instance.requests if r["method"] == "token")
    assert token_request["body"]["grant_type"] == "refresh_token"
    assert token_request["body"]["refresh_token"] == "<redacted>"  # never kept in the log
    assert all(r["auth"] == "valid" for r in instance.requests if r["method"] == "generateContent")


async def test_tokens_are_renewed_ahead_of_expiry(
    short_lived: tuple[Emulator, str], http: httpx2.AsyncClient
) -> None:
    instance, url = short_lived  # 30 s tokens are always inside the 60 s renewal margin
    client = make_client(http, refresh_settings(url))
    await client.generate("claude-sonnet-4-6", ASK)
    await client.generate("claude-sonnet-4-6", ASK)
    assert token_calls(instance) == 2


async def test_a_refused_token_is_renewed_once(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient
) -> None:
    instance, url = emulator
    instance.faults.add(parse_fault("expired_token"))
    response, _ = await make_client(http, refresh_settings(url)).generate("claude-sonnet-4-6", ASK)
    assert response.candidates
    assert [r["status"] for r in instance.requests if r["method"] == "generateContent"] == [401, 200]
    assert token_calls(instance) == 2


async def test_renewal_is_not_a_loop(emulator: tuple[Emulator, str], http: httpx2.AsyncClient) -> None:
    instance, url = emulator
    instance.faults.add(parse_fault("expired_token:times=0"))
    with pytest.raises(AuthenticationError):
        await make_client(http, refresh_settings(url)).generate("claude-sonnet-4-6", ASK)
    assert token_calls(instance) == 2
    assert len([r for r in instance.requests if r["method"] == "generateContent"]) == 2


async def test_a_dead_refresh_token_says_log_in_again(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient, tmp_path: Path
) -> None:
    instance, url = emulator
    with pytest.raises(CredentialsError, match="invalid_grant"):
        await make_client(http, refresh_settings(url, "revoked")).generate("claude-sonnet-4-6", ASK)
    async with Client(build_server(refresh_settings(url, "revoked", data_dir=tmp_path))) as client:
        result = await client.call_tool("chat", {"prompt": "hi"})
    text = "\n".join(c.text for c in result.content if isinstance(c, TextContent))
    assert result.is_error and "Log in again" in text and "ANTIGRAVITY_REFRESH_TOKEN" in text
    assert len([r for r in instance.requests if r["method"] == "generateContent"]) == 0


async def test_a_refused_refresh_token_user_is_not_told_to_set_an_access_token(
    emulator: tuple[Emulator, str], tmp_path: Path
) -> None:
    instance, url = emulator
    instance.faults.add(parse_fault("expired_token:times=0"))
    async with Client(build_server(refresh_settings(url, data_dir=tmp_path))) as client:
        result = await client.call_tool("chat", {"prompt": "hi"})
    text = "\n".join(c.text for c in result.content if isinstance(c, TextContent))
    assert result.is_error and "ANTIGRAVITY_REFRESH_TOKEN" in text and "refused again after renewing" in text
    assert "ANTIGRAVITY_ACCESS_TOKEN" not in text
