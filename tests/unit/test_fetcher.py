"""The SSRF-safe fetcher: which addresses are refused, and real fetches from a loopback test site.

Only loopback is ever contacted: refused addresses are refused before any connection is made.
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from mcp_antigravity.emulator import serve_app
from mcp_antigravity.web.fetcher import FetchError, FetchPolicy, InvalidURL, SafeFetcher

pytestmark = pytest.mark.anyio

DEFAULT = FetchPolicy()
REFUSED = [
    "127.0.0.1",
    "127.8.9.10",
    "::1",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "::",
    "fe80::1",
    "fc00::1",
    "fd00:ec2::254",
    "224.0.0.1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    "192.0.2.1",
    "198.18.0.1",
    "240.0.0.1",
    "255.255.255.255",
]
ALLOWED = ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", REFUSED)
def test_internal_addresses_are_refused(address: str) -> None:
    assert DEFAULT.refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed(address: str) -> None:
    assert DEFAULT.refusal(ipaddress.ip_address(address)) is None


def test_allowlist_of_networks_and_hosts_on_their_ports() -> None:
    policy = FetchPolicy.parse(
        ["10.1.0.0/16:*", "intranet.example", "*.corp.example:8080", "127.0.0.1:8000", "[::1]:*", "fd00::/8"]
    )
    ip = ipaddress.ip_address
    assert policy.refusal(ip("10.1.2.3"), 9999) is None
    assert policy.refusal(ip("10.2.0.1"), 443) is not None
    assert policy.refusal(ip("127.0.0.1"), 8000) is None
    assert policy.refusal(ip("::ffff:127.0.0.1"), 8000) is None  # the same address, mapped
    assert policy.refusal(ip("127.0.0.1"), 8001) is not None  # a listed address opens only its port
    assert policy.refusal(ip("127.0.0.2"), 8000) is not None
    assert policy.refusal(ip("::1"), 1) is None
    assert policy.refusal(ip("fd00::5"), 443) is None and policy.refusal(ip("fd00::5"), 8443) is not None
    # a bare host name opens the default ports only
    assert policy.host_allowed("INTRANET.example.", 443) and policy.host_allowed("intranet.example", 80)
    assert not policy.host_allowed("intranet.example", 6379)
    assert policy.host_allowed("wiki.corp.example", 8080) and not policy.host_allowed(
        "wiki.corp.example", 443
    )
    assert not policy.host_allowed("corp.example.evil", 8080)
    for bad, why in [
        ("10.0.0.0/99", "neither a host name"),
        ("intranet.example:0", "port must be"),
        ("intranet.example:http", "port must be"),
        ("[::1]:99999", "port must be"),
        ("white space", "neither"),
    ]:
        with pytest.raises(ValueError, match=why):
            FetchPolicy.parse([bad])


# ----------------------------------------------------------------------------- a real loopback site


async def page(request: Request) -> Response:
    return Response("<html><body>hello</body></html>", media_type="text/html")


async def big(request: Request) -> Response:
    return Response(b"x" * 5000, media_type="application/octet-stream")


async def redirect(request: Request) -> Response:
    return RedirectResponse(request.query_params["to"], status_code=302)


async def loop(request: Request) -> Response:
    return RedirectResponse("/loop", status_code=301)


async def echo_host(request: Request) -> Response:
    return Response(request.headers["host"])


SITE = Starlette(
    routes=[
        Route("/page", page),
        Route("/big", big),
        Route("/redirect", redirect),
        Route("/loop", loop),
        Route("/host", echo_host),
    ]
)


@pytest.fixture
async def site() -> AsyncIterator[str]:
    async with serve_app(SITE) as url:
        yield url


def fetcher(http: httpx2.AsyncClient, *allow: str, max_bytes: int = 100_000) -> SafeFetcher:
    return SafeFetcher(
        http, FetchPolicy.parse(list(allow)), max_bytes=max_bytes, timeout=10, user_agent="test"
    )


async def test_fetches_an_allowed_site_following_redirects(site: str, http: httpx2.AsyncClient) -> None:
    fetched = await fetcher(http, "127.0.0.1:*").fetch(f"{site}/redirect?to=/page")
    assert fetched.status == 200 and fetched.content == b"<html><body>hello</body></html>"
    assert fetched.url == f"{site}/page" and fetched.redirects == [f"{site}/redirect?to=/page"]
    host = await fetcher(http, "127.0.0.1:*").fetch(f"{site}/host")
    assert host.content.decode() == site.removeprefix("http://")  # the original Host header travelled


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/page",
        "http://localhost:{port}/page",
        "http://[::1]:{port}/page",
        "http://[::ffff:127.0.0.1]:{port}/page",
        "http://2130706433:{port}/page",
        "http://0x7f.1:{port}/page",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[fd00:ec2::254]/",
    ],
)
async def test_internal_targets_are_refused_without_an_allowlist(
    site: str, http: httpx2.AsyncClient, url: str
) -> None:
    port = site.rsplit(":", 1)[1]
    with pytest.raises(FetchError, match=r"Refused to fetch .* ANTIGRAVITY_FETCH_ALLOW"):
        await fetcher(http).fetch(url.format(port=port))


@pytest.mark.parametrize(
    "target",
    [
        "http://10.1.2.3/",
        "http://169.254.169.254/",
        "http://127.0.0.2:9/",
        "http://[::1]:9/",
    ],
)
async def test_redirects_into_internal_addresses_are_refused(
    site: str, http: httpx2.AsyncClient, target: str
) -> None:
    with pytest.raises(FetchError, match="Refused to fetch"):
        await fetcher(http, "127.0.0.1:*").fetch(f"{site}/redirect?to={target}")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/x", "Only http and https"),
        ("file:///etc/passwd", "Only http and https"),
        ("gopher://x/", "Only http and https"),
    ],
)
async def test_other_schemes_are_refused(http: httpx2.AsyncClient, url: str, message: str) -> None:
    with pytest.raises(FetchError, match=message):
        await fetcher(http).fetch(url)


async def test_size_cap_and_redirect_loops(site: str, http: httpx2.AsyncClient) -> None:
    with pytest.raises(FetchError, match="is 5,000 bytes; the limit is 1,000"):
        await fetcher(http, "127.0.0.1:*", max_bytes=1000).fetch(f"{site}/big")
    with pytest.raises(FetchError, match="redirected more than 5 times"):
        await fetcher(http, "127.0.0.1:*").fetch(f"{site}/loop")


async def test_credentials_in_a_url_never_travel_not_even_to_an_allowed_site(
    site: str, http: httpx2.AsyncClient
) -> None:
    netloc = site.removeprefix("http://")
    with pytest.raises(InvalidURL, match=r"user name or password .* not fetched"):
        await fetcher(http, "127.0.0.1:*").fetch(f"http://user:secret@{netloc}/host")
    # and the Host header is built from the host and port alone
    host = await fetcher(http, "127.0.0.1:*").fetch(f"http://{netloc}/host")
    assert host.content.decode() == netloc


async def test_a_host_allowed_by_name_opens_only_its_ports(site: str, http: httpx2.AsyncClient) -> None:
    port = site.rsplit(":", 1)[1]
    with pytest.raises(FetchError, match="loopback"):
        await fetcher(http, "localhost.example").fetch(f"http://127.0.0.1:{port}/page")
    allowed = fetcher(http, f"127.0.0.1:{port}")
    assert (await allowed.fetch(f"{site}/page")).status == 200
    with pytest.raises(FetchError, match="loopback"):
        await allowed.fetch(f"http://127.0.0.1:{int(port) + 1 if int(port) < 65535 else 1}/page")
