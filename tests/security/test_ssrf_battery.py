"""SSRF battery: internal addresses and URL tricks, through every URL-taking tool.

Each form is sent as a caller over HTTP would (local files off) to web_reader, vision,
image_generate (as a reference image) and transcribe. Every one must come back as a clear
refusal, with zero socket connects from this process (the connect guard) and zero
connections at the loopback canary that the loopback forms point at. Redirects from an
allowed site to each class are refused at the hop, with the site as the only connection.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from mcp_antigravity import build_server
from mcp_antigravity.emulator import Emulator, EmulatorConfig, running_emulator, serve_app
from mcp_antigravity.server.runtime import Runtime
from mcp_antigravity.web.netpolicy import FetchRefused, parse_url, refusal

from ..conftest import PROJECT, TOKEN, make_settings, text_of
from .conftest import Canary, ConnectGuard

pytestmark = pytest.mark.anyio

P = "{P}"  # the canary's port

LOOPBACK = [
    f"http://127.0.0.1:{P}/",
    f"http://127.0.0.2:{P}/",
    f"http://127.1.2.3:{P}/",
    f"http://127.255.255.254:{P}/",
    f"http://127.1:{P}/",
    f"http://127.0.1:{P}/",
    f"http://2130706433:{P}/",
    f"http://0x7f000001:{P}/",
    f"http://0x7F000001:{P}/",
    f"http://0x7f.0x0.0x0.0x1:{P}/",
    f"http://0177.0.0.1:{P}/",
    f"http://017700000001:{P}/",
    f"http://0x7f.1:{P}/",
    f"http://0177.1:{P}/",
    f"http://127.000.000.001:{P}/",
    f"http://127.0.0.1.:{P}/",
    f"http://0.0.0.0:{P}/",
    f"http://0:{P}/",
    f"http://0x0:{P}/",
    f"http://0.0:{P}/",
    f"http://[::1]:{P}/",
    f"http://[0:0:0:0:0:0:0:1]:{P}/",
    f"http://[0000::0001]:{P}/",
    f"http://[::]:{P}/",
    f"http://[::ffff:127.0.0.1]:{P}/",
    f"http://[::FFFF:127.0.0.1]:{P}/",
    f"http://[::ffff:7f00:1]:{P}/",
    f"http://[0:0:0:0:0:ffff:127.0.0.1]:{P}/",
    f"http://[::127.0.0.1]:{P}/",
    f"http://[::7f00:1]:{P}/",
    f"http://[::ffff:0:7f00:1]:{P}/",
    f"http://[::ffff:0:127.0.0.1]:{P}/",
    f"http://[64:ff9b::7f00:1]:{P}/",
    f"http://[64:ff9b::127.0.0.1]:{P}/",
    f"http://[64:ff9b:1::7f00:1]:{P}/",
    f"http://[2002:7f00:1::]:{P}/",
    f"http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:{P}/",  # Teredo, client 127.0.0.1
    f"http://[fe80::1%25lo]:{P}/",
]
METADATA = [
    "http://169.254.169.254/latest/meta-data/",
    "http://2852039166/",
    "http://0xa9fea9fe/",
    "http://0251.0376.0251.0376/",
    "http://169.254.43518/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[64:ff9b::169.254.169.254]/",
    "http://[64:ff9b:1::a9fe:a9fe]/",
    "http://[::169.254.169.254]/",
    "http://[::ffff:0:a9fe:a9fe]/",
    "http://[2002:a9fe:a9fe::]/",
    "http://[fd00:ec2::254]/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://metadata/computeMetadata/v1/",
    "http://169.254.170.2/v2/credentials",
    "http://100.100.100.200/latest/meta-data/",
]
PRIVATE = [
    "http://10.0.0.1/",
    "http://10.255.255.255/",
    "http://012.0.0.1/",
    "http://167772161/",
    "http://172.16.0.1/",
    "http://172.31.255.255/",
    "http://192.168.0.1/",
    "http://192.168.1.1:8080/",
    "http://[::ffff:10.0.0.1]/",
    "http://[64:ff9b::a00:1]/",
    "http://[64:ff9b::10.0.0.1]/",
    "http://[64:ff9b:1::a00:1]/",
    "http://[2002:a00:1::]/",
    "http://[2002:c0a8:101::1]/",
    "http://100.64.0.1/",
    "http://100.127.255.254/",
    "http://[::ffff:100.64.0.1]/",
    "http://169.254.0.1/",
    "http://[fe80::1]/",
    "http://[fe80::a9fe:a9fe]/",
    "http://[febf::1]/",
    "http://[fc00::1]/",
    "http://[fd00::1]/",
    "http://[fdff:ffff::1]/",
    "http://[fec0::1]/",
    "http://[feff::1]/",
]
SPECIAL = [
    "http://224.0.0.1/",
    "http://239.255.255.250/",
    "http://[ff02::1]/",
    "http://[ff05::1:3]/",
    "http://192.0.0.8/",
    "http://192.0.0.170/",
    "http://192.0.2.1/",
    "http://198.18.0.1/",
    "http://198.19.255.255/",
    "http://198.51.100.1/",
    "http://203.0.113.1/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://192.88.99.1/",
    "http://[100::1]/",
    "http://[2001:db8::1]/",
    "http://[3fff::1]/",
    "http://[5f00::1]/",
    "http://[2001:10::1]/",
    "http://[2001::1]/",
    "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
    "http://[4000::1]/",
    "http://[e000::1]/",
    "http://[::ffff:192.0.2.1]/",
]
NAMES = [
    f"http://localhost:{P}/",
    f"http://LOCALHOST:{P}/",
    f"http://localhost.:{P}/",
    f"http://foo.localhost:{P}/",
    f"http://a.b.localhost:{P}/",
    "http://printer.local/",
    "http://host.internal/",
    "http://router.home.arpa/",
    "http://box.localdomain/",
    "http://nas.lan/",
    "http://intranet/",
    "http://wpad/",
    "http://ip6-localhost/",
]
TRICKS = [
    f"http://user:pass@127.0.0.1:{P}/",
    f"http://evil.example@127.0.0.1:{P}/",
    f"http://127.0.0.1:{P}@evil.example/",
    f"http://evil.example:80@127.0.0.1:{P}/",
    f"http://user@[::1]:{P}/",
    f"http://127.0.0.1:{P}#@evil.example/",
    f"http://evil.example\\@127.0.0.1:{P}/",
    f"http://127.0.0.1:{P}\\@evil.example/",
    f"http:\\\\127.0.0.1:{P}\\",
    f"http:/127.0.0.1:{P}/",
    f"http:127.0.0.1:{P}/",
    f"http://%31%32%37.0.0.1:{P}/",
    "http://127.0.0.1%2f@evil.example/",
    "http://127.0.0.1%00.evil.example/",
    f"http://127.0.0.1 :{P}/",
    f"http://127.0.0.1:{P}\t/",
    f"http://127.0.0.1:{P}/\n",
    f"HTTP://127.0.0.1:{P}/",
    f"hTTp://[::1]:{P}/",
    "http://127.0.0.1:abc/",
    "http://127.0.0.1:99999/",
    "http://127.0.0.1:0/",
    "http://127.0.0.1:-1/",
    "http://127.0.0.1:+80/",
    "http://[::1/",
    "http://[::1]]/",
    "http://[127.0.0.1]/",
    "http://1.2.3.4.5/",
    "http://256.0.0.1/",
    "http://0x100000000/",
    "http://08.0.0.1/",
    "http://example.123/",
    "http:///path",
    "http://",
    "http://" + "a" * 64 + ".example/",
    "http://example.com/" + "a" * 70_000,
]
SCHEMES = [
    "file:///etc/passwd",
    "file://localhost/etc/passwd",
    f"ftp://127.0.0.1:{P}/x.png",
    f"gopher://127.0.0.1:{P}/_x",
    f"dict://127.0.0.1:{P}/info",
    "ldap://127.0.0.1/dc=x",
    "javascript:alert(1)",
    f"ws://127.0.0.1:{P}/",
    f"wss://127.0.0.1:{P}/",
    "sftp://127.0.0.1/x",
    "tftp://127.0.0.1/x",
    "netdoc:///etc/passwd",
    "jar:http://127.0.0.1/x!/y",
    "view-source:http://127.0.0.1/",
]
FORMS = LOOPBACK + METADATA + PRIVATE + SPECIAL + NAMES + TRICKS + SCHEMES
# What a clear refusal says: why the URL is not fetched (never "failed unexpectedly").
REASON = re.compile(
    r"Refused to fetch|not a valid|is not fetched|are not fetched|Only http and https|has no host|"
    r"characters a host name cannot|whitespace or control|at most [\d,]+ are accepted|URLs are not read|"
    r"off for callers over HTTP|neither a host name"
)


def test_the_battery_is_big_enough() -> None:
    assert len(FORMS) >= 150
    assert len(set(FORMS)) == len(FORMS)


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f[:60])
def test_every_form_is_refused_by_the_policy_alone(form: str) -> None:
    """Without any I/O: the URL is refused as it is read, or its address is refused."""
    try:
        target = parse_url(form.replace(P, "8080"))
    except FetchRefused:
        return
    assert target.address is not None, f"{form} would be resolved by DNS"
    assert refusal(target.address) is not None, target.address


def call_for(tool: str, url: str) -> dict[str, Any]:
    return {
        "web_reader": {"url": url},
        "vision": {"prompt": "what is it?", "image": url},
        "image_generate": {"prompt": "like this", "images": [url]},
        "transcribe": {"audio": url},
    }[tool]


TOOLS = ["web_reader", "vision", "image_generate", "transcribe"]


@pytest.fixture(scope="module")
async def remote_client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[Emulator, Client]]:
    """The server as an HTTP caller meets it (local files off), with the default fetch policy."""
    async with running_emulator(EmulatorConfig(token=TOKEN, project=PROJECT)) as (emulator, url):
        settings = make_settings(url, data_dir=tmp_path_factory.mktemp("data"), fetch_timeout=2.0)
        async with Client(build_server(settings, Runtime(settings, remote=True))) as client:
            yield emulator, client


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("form", FORMS, ids=lambda f: f[:60])
async def test_each_form_is_refused_by_each_tool_without_a_connection(
    remote_client: tuple[Emulator, Client], canary: Canary, guard: ConnectGuard, tool: str, form: str
) -> None:
    emulator, client = remote_client
    url = form.replace(P, str(canary.port))
    before, hits = len(emulator.requests), canary.hits
    with guard.watching(), anyio.fail_after(10):  # a leak reaches the canary, which never answers
        result = await client.call_tool(tool, call_for(tool, url))
    text = text_of(result)
    assert result.is_error, text
    assert REASON.search(text), text
    assert "unexpectedly" not in text
    assert guard.connects == []
    assert canary.hits == hits
    assert len(emulator.requests) == before  # never handed to the model either


# ----------------------------------------------------------------------------- redirects


async def redirect(request: Request) -> Response:
    return RedirectResponse(request.query_params["to"], status_code=302)


async def page(request: Request) -> Response:
    return Response(
        "<html><head><title>ok</title></head><body><p>fine</p></body></html>", media_type="text/html"
    )


SITE = Starlette(routes=[Route("/redirect", redirect), Route("/page", page), Route("/robots.txt", page)])
REDIRECT_TARGETS = [
    f"http://127.0.0.1:{P}/",
    f"http://localhost:{P}/",
    f"http://[::1]:{P}/",
    f"http://2130706433:{P}/",
    f"http://[::ffff:127.0.0.1]:{P}/",
    f"http://[64:ff9b::7f00:1]:{P}/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://metadata.google.internal/",
    "http://10.0.0.1/",
    "http://[fd00::1]/",
    "http://[fec0::1]/",
    "http://192.0.0.8/",
    "file:///etc/passwd",
    f"gopher://127.0.0.1:{P}/_x",
    "http://127.0.0.1:abc/",
    f"http://user:pass@127.0.0.1:{P}/",
]


@pytest.fixture(scope="module")
async def site() -> AsyncIterator[str]:
    async with serve_app(SITE) as url:
        yield url


@pytest.fixture(scope="module")
async def site_client(
    site: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Emulator, Client]]:
    """The site is allowed on its own port only (a host:port entry), so nothing else on loopback is."""
    port = site.rsplit(":", 1)[1]
    async with running_emulator(EmulatorConfig(token=TOKEN, project=PROJECT)) as (emulator, url):
        settings = make_settings(
            url,
            data_dir=tmp_path_factory.mktemp("data"),
            fetch_allow=[f"127.0.0.1:{port}"],
            fetch_timeout=2.0,
        )
        async with Client(build_server(settings, Runtime(settings, remote=True))) as client:
            yield emulator, client


async def test_the_allowed_site_itself_is_read(site: str, site_client: tuple[Emulator, Client]) -> None:
    _, client = site_client
    result = await client.call_tool("web_reader", {"url": f"{site}/page"})
    assert not result.is_error, text_of(result)
    assert "fine" in text_of(result)


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("target", REDIRECT_TARGETS, ids=lambda f: f[:60])
async def test_a_redirect_to_each_class_is_refused_at_the_hop(
    site: str,
    site_client: tuple[Emulator, Client],
    canary: Canary,
    guard: ConnectGuard,
    tool: str,
    target: str,
) -> None:
    emulator, client = site_client
    to = target.replace(P, str(canary.port))
    site_port = int(site.rsplit(":", 1)[1])
    before, hits = len(emulator.requests), canary.hits
    with guard.watching(), anyio.fail_after(10):
        result = await client.call_tool(tool, call_for(tool, f"{site}/redirect?to={to}"))
    text = text_of(result)
    assert result.is_error and REASON.search(text), text
    assert {address[1] for address in guard.connects} <= {site_port}
    assert canary.hits == hits
    assert len(emulator.requests) == before


def test_a_public_address_is_still_allowed(tmp_path: Path) -> None:
    for public in (
        "8.8.8.8",
        "2606:4700:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::1",
    ):
        target = parse_url(f"http://[{public}]/" if ":" in public else f"http://{public}/")
        assert target.address is not None and refusal(target.address) is None, public
