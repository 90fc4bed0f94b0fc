"""Fetching URLs on a caller's behalf without reaching internal addresses (SSRF-safe).

Every hop is checked, the first request and each redirect alike, by one policy
(:mod:`.netpolicy`): the URL is read strictly, its host resolved here, and every address it
resolves to must be globally routable (judged by what it reaches: IPv6 forms that carry an
IPv4 address are unwrapped). The connection then goes to the address that was checked (the
request keeps its ``Host`` header and TLS server name), so DNS cannot answer differently
between check and use. The body is read in a stream and cut off past ``max_bytes``.

An allowlist (``ANTIGRAVITY_FETCH_ALLOW``) opens chosen hosts or networks on chosen ports.
Fetching has its own connection pool, apart from the upstream's (see :func:`open_fetch_client`).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urljoin

import anyio
import httpx2

from ..antigravity.pool import tls_context
from .netpolicy import FetchError, FetchPolicy, FetchRefused, InvalidURL, IPAddress, Target, parse_url

__all__ = [
    "FetchError",
    "FetchPolicy",
    "FetchRefused",
    "Fetched",
    "InvalidURL",
    "SafeFetcher",
    "open_fetch_client",
]

REDIRECTS = frozenset({301, 302, 303, 307, 308})


def open_fetch_client(*, max_connections: int, timeout: float) -> httpx2.AsyncClient:
    """The pool for fetching callers' URLs: separate from the upstream's, so slow sites never
    hold the connections that model calls need."""
    return httpx2.AsyncClient(
        timeout=httpx2.Timeout(timeout),
        limits=httpx2.Limits(max_connections=max_connections, max_keepalive_connections=max_connections // 2),
        follow_redirects=False,
        trust_env=False,  # never through a proxy from the environment: the checked address is the one used
        verify=tls_context(),
    )


@dataclass
class Fetched:
    url: str
    """The final URL, after redirects."""
    status: int
    content_type: str
    content: bytes
    headers: dict[str, str] = field(default_factory=dict)
    redirects: list[str] = field(default_factory=list)


async def _resolve(target: Target) -> list[IPAddress]:
    if target.address is not None:
        return [target.address]
    try:
        infos = await anyio.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise FetchError(f"Cannot resolve {target.host}: {exc.strerror or exc}.") from exc
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise FetchError(f"Cannot resolve {target.host}.")
    return addresses


class SafeFetcher:
    def __init__(
        self,
        http: httpx2.AsyncClient,
        policy: FetchPolicy,
        *,
        max_bytes: int,
        timeout: float,
        user_agent: str,
        max_redirects: int = 5,
    ) -> None:
        self._http = http
        self.policy = policy
        self.max_bytes = max_bytes
        self._timeout = timeout
        self._user_agent = user_agent
        self._max_redirects = max_redirects

    def check(self, url: str) -> Target:
        """``url`` read and checked without any I/O; raises :class:`InvalidURL` or :class:`FetchRefused`."""
        target = parse_url(url)
        if target.address is not None:
            self._judge(target, target.address)
        return target

    def _judge(self, target: Target, address: IPAddress) -> None:
        why = self.policy.refusal(address, target.port)
        if why is not None:
            raise FetchRefused(
                f"Refused to fetch {target.url[:200]}: {target.host} is {why} ({address}). Internal addresses are "
                "not fetched; an administrator can allow chosen hosts or networks with ANTIGRAVITY_FETCH_ALLOW."
            )

    async def _target(self, url: str) -> tuple[str, str, str]:
        """The checked address to connect to for ``url``: (request URL, Host header, TLS server name)."""
        target = self.check(url)
        if target.address is None and self.policy.host_allowed(target.host, target.port):
            return url, target.host_header, target.host
        addresses = await _resolve(target)
        for address in addresses:
            self._judge(target, address)
        return target.with_address(addresses[0]), target.host_header, target.host

    async def fetch(self, url: str, *, accept: str = "*/*") -> Fetched:
        redirects: list[str] = []
        with anyio.move_on_after(self._timeout) as scope:
            while True:
                target, host_header, server_name = await self._target(url)
                fetched = await self._get(target, host_header, server_name, accept, url)
                if fetched.status not in REDIRECTS or "location" not in fetched.headers:
                    fetched.redirects = redirects
                    return fetched
                if len(redirects) >= self._max_redirects:
                    raise FetchError(f"{url} redirected more than {self._max_redirects} times.")
                redirects.append(url)
                url = urljoin(url, fetched.headers["location"])
        assert scope.cancelled_caught
        raise FetchError(f"Fetching {url} took longer than {self._timeout:g} s.")

    async def resolve_redirect(self, url: str) -> str:
        """Where ``url`` redirects to (one hop, checked like any fetch), without downloading either page."""
        target, host_header, server_name = await self._target(url)
        with anyio.move_on_after(self._timeout) as scope:
            fetched = await self._get(target, host_header, server_name, "*/*", url, read_body=False)
            location = fetched.headers.get("location")
            return urljoin(url, location) if fetched.status in REDIRECTS and location else url
        assert scope.cancelled_caught
        raise FetchError(f"Resolving {url} took longer than {self._timeout:g} s.")

    async def _get(
        self,
        target: str,
        host_header: str,
        server_name: str,
        accept: str,
        url: str,
        *,
        read_body: bool = True,
    ) -> Fetched:
        headers = {"Host": host_header, "User-Agent": self._user_agent, "Accept": accept}
        try:
            async with self._http.stream(
                "GET",
                target,
                headers=headers,
                follow_redirects=False,
                extensions={"sni_hostname": server_name},
            ) as response:
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > self.max_bytes:
                    raise FetchError(f"{url} is {int(declared):,} bytes; the limit is {self.max_bytes:,}.")
                body = bytearray()
                if read_body and response.status_code not in REDIRECTS:
                    async for chunk in response.aiter_bytes():
                        body.extend(chunk)
                        if len(body) > self.max_bytes:
                            raise FetchError(f"{url} is larger than the limit of {self.max_bytes:,} bytes.")
                return Fetched(
                    url=url,
                    status=response.status_code,
                    content_type=response.headers.get("content-type", ""),
                    content=bytes(body),
                    headers={k.lower(): v for k, v in response.headers.items()},
                )
        except httpx2.HTTPError as exc:
            raise FetchError(f"Cannot fetch {url}: {exc or type(exc).__name__}.") from exc
