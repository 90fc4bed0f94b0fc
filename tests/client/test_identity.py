"""Who the client says it is: the User-Agent form, and the version read from the updater manifest."""

from __future__ import annotations

import logging
import re

import httpx2
import pytest

from mcp_antigravity.antigravity.identity import (
    ClientIdentity,
    discovery_enabled,
    manifest_version,
    platform_tag,
    user_agent,
)
from mcp_antigravity.antigravity.wire import Content, GenerateContentRequest, Part
from mcp_antigravity.emulator import Emulator, EmulatorConfig, running_emulator

from ..conftest import PROJECT, TOKEN, make_client, make_settings

pytestmark = pytest.mark.anyio


def ask() -> GenerateContentRequest:
    return GenerateContentRequest(contents=[Content(role="user", parts=[Part(text="hi")])])


@pytest.mark.parametrize(
    ("system", "machine", "tag"),
    [
        ("Darwin", "arm64", "darwin/arm64"),
        ("Linux", "x86_64", "linux/amd64"),
        ("Linux", "aarch64", "linux/arm64"),
        ("Windows", "AMD64", "windows/amd64"),
        ("FreeBSD", "riscv64", "linux/riscv64"),
    ],
)
def test_platform_tags_in_the_upstreams_spelling(system: str, machine: str, tag: str) -> None:
    assert platform_tag(system, machine) == tag


def test_the_user_agent_is_the_hub_form() -> None:
    assert user_agent("2.9.1", "darwin/arm64") == "antigravity/hub/2.9.1 darwin/arm64"
    assert re.fullmatch(r"antigravity/hub/3\.0\.2 [a-z]+/[a-z0-9_]+", user_agent("3.0.2"))


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("version: 2.9.4\nfiles:\n  - url: x.zip\n", "2.9.4"),
        ("files: []\nversion: '2.10.0'\nreleaseDate: '2026-11-20'\n", "2.10.0"),
        ('version: "3.1"\n', "3.1"),
        ("releaseNotes: version: 9.9.9 is great\nversion: 2.9.5\n", "2.9.5"),
        ("files: []\n", None),
        ("version: latest\n", None),
        ("<html>not a manifest</html>", None),
    ],
)
def test_the_manifest_version_line(text: str, version: str | None) -> None:
    assert manifest_version(text) == version


@pytest.mark.parametrize(
    ("overrides", "enabled"),
    [
        ({}, True),  # Google's hosts, auto
        ({"endpoints": ["http://127.0.0.1:9"]}, False),  # an emulator or a proxy: its own business
        ({"endpoints": ["http://127.0.0.1:9"], "client_version_discovery": "on"}, True),
        ({"client_version_discovery": "off"}, False),
        ({"user_agent": "MyAgent/1"}, False),  # the whole User-Agent is fixed
        ({"client_version_manifest_url": None}, False),
    ],
)
def test_when_the_manifest_is_read(overrides: dict[str, object], enabled: bool) -> None:
    assert discovery_enabled(make_settings("https://cloudcode-pa.googleapis.com", **overrides)) is enabled


def discovering(emulator_url: str, **overrides: object) -> dict[str, object]:
    return {
        "client_version_discovery": "on",
        "client_version_manifest_url": f"{emulator_url}/manifest/latest-arm64-mac.yml",
        **overrides,
    }


def manifest_reads(emulator: Emulator) -> int:
    return sum(1 for r in emulator.requests if r["method"] == "manifest")


async def test_a_newer_version_from_the_manifest_is_sent_and_read_once_per_ttl(
    http: httpx2.AsyncClient,
) -> None:
    async with running_emulator(EmulatorConfig(token=TOKEN, project=PROJECT, latest_version="2.9.7")) as (
        emulator,
        url,
    ):
        client = make_client(http, make_settings(url, **discovering(url)))
        for _ in range(3):
            await client.generate("gemini-3-flash", ask())
    agents = {r["headers"]["user-agent"] for r in emulator.requests if r["method"] == "generateContent"}
    assert {a.rsplit(" ", 1)[0] for a in agents} == {"antigravity/hub/2.9.7"}
    assert manifest_reads(emulator) == 1


async def test_the_configured_version_is_a_floor(http: httpx2.AsyncClient) -> None:
    async with running_emulator(EmulatorConfig(token=TOKEN, project=PROJECT, latest_version="2.9.7")) as (
        _emulator,
        url,
    ):
        client = make_client(http, make_settings(url, client_version="3.0.1", **discovering(url)))
        assert await client.identity.version() == "3.0.1"


async def test_an_unreadable_manifest_is_logged_once_and_the_floor_used(
    http: httpx2.AsyncClient, emulator: tuple[Emulator, str], caplog: pytest.LogCaptureFixture
) -> None:
    _instance, url = emulator
    settings = make_settings(url, **discovering(url, client_version_manifest_url=f"{url}/manifest-missing"))
    identity = ClientIdentity(settings, http)
    with caplog.at_level(logging.WARNING):
        versions = [await identity.version() for _ in range(3)]
    assert versions == ["2.9.1"] * 3
    warnings = [r for r in caplog.records if "cannot read the Antigravity version" in r.getMessage()]
    assert len(warnings) == 1 and "ANTIGRAVITY_CLIENT_VERSION" in warnings[0].getMessage()


async def test_a_user_agent_override_is_sent_whole(
    emulator: tuple[Emulator, str], http: httpx2.AsyncClient
) -> None:
    instance, url = emulator
    native = "antigravity/hub/2.9.3 (aidev_client; os_type=darwin; arch=arm64; cl=963137146)"
    await make_client(http, make_settings(url, user_agent=native)).generate("gemini-3-flash", ask())
    assert instance.requests[-1]["headers"]["user-agent"] == native
