"""Fetching URLs on a caller's behalf without reaching internal addresses (SSRF-safe).

Every hop is checked, the first request and each redirect alike:

* only ``http`` and ``https``;
* the host is resolved here, and every address it resolves to must be globally routable:
  loopback, private, link-local (the cloud metadata address ``169.254.169.254`` among them),
  shared/CGNAT, unique-local IPv6, multicast, reserved and unspecified addresses are refused,
  also when written as IPv4-mapped IPv6 (``::ffff:127.0.0.1``), in decimal or octal, or
  behind a DNS name;
* the connection then goes to the address that was checked (the request keeps its ``Host``
  header and TLS server name), so DNS cannot answer differently between check and use;
* the body is read in a stream and cut off past ``max_bytes``.

An allowlist (``ANTIGRAVITY_FETCH_ALLOW``: host names and CIDR networks) opens chosen hosts or
networks, for example an intranet server or a test site on loopback.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import anyio
import httpx2

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
REDIRECTS = frozenset({301, 302, 303, 307, 308})


class FetchError(Exception):
    """The URL was not fetched; the message says why and what to do."""


class FetchRefused(FetchError):
    """The URL leads where this server may not go (an internal address, or not http/https)."""


@dataclass(frozen=True)
class FetchPolicy:
    allow_hosts: frozenset[str] = frozenset()
    allow_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, entries: Sequence[str]) -> FetchPolicy:
        """``["intranet.example", "10.1.0.0/16", "127.0.0.1"]`` → a policy. Raises ValueError."""
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in (e.strip() for e in entries):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                if "/" in entry or " " in entry:
                    raise ValueError(f"{entry!r} is neither a host name nor a CIDR network") from None
                hosts.add(entry.lower().rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def host_allowed(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return host in self.allow_hosts or any(
            host.endswith("." + h.removeprefix("*.")) for h in self.allow_hosts if h.startswith("*.")
        )

    def refusal(self, address: IPAddress) -> str | None:
        """Why ``address`` may not be contacted, or ``None`` when it may."""
        if any(address in network for network in self.allow_networks):
            return None
        mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
        if mapped is not None:
            return self.refusal(mapped)
        if address.is_loopback:
            return "a loopback address"
        if address.is_link_local:
            return "a link-local address (this includes the cloud metadata service)"
        if address.is_multicast:
            return "a multicast address"
        if address.is_private or not address.is_global:
            return "a private or reserved address"
        return None


@dataclass
class Fetched:
    url: str
    """The final URL, after redirects."""
    status: int
    content_type: str
    content: bytes
    headers: dict[str, str] = field(default_factory=dict)
    redirects: list[str] = field(default_factory=list)


async def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise FetchError(f"Cannot resolve {host}: {exc.strerror or exc}.") from exc
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise FetchError(f"Cannot resolve {host}.")
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

    async def _target(self, url: str) -> tuple[str, str, str]:
        """The checked address to connect to for ``url``: (request URL, Host header, TLS server name)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FetchRefused(
                f"Only http and https URLs can be fetched, not {parts.scheme or 'this'!r}: {url}"
            )
        host = parts.hostname
        if not host:
            raise FetchError(f"{url} has no host.")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = await _resolve(host, port)
        if self.policy.host_allowed(host):
            return url, parts.netloc, host
        for address in addresses:
            why = self.policy.refusal(address)
            if why is not None:
                raise FetchRefused(
                    f"Refused to fetch {url}: {host} is {why} ({address}). Internal addresses are not fetched; "
                    "an administrator can allow chosen hosts or networks with ANTIGRAVITY_FETCH_ALLOW."
                )
        address = addresses[0]
        shown = f"[{address}]" if address.version == 6 else str(address)
        netloc = f"{shown}:{parts.port}" if parts.port else shown
        return parts._replace(netloc=netloc).geturl(), parts.netloc, host

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
