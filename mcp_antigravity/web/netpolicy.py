"""Where a fetch may go: URLs read strictly, and addresses judged by what they REACH.

Pure (no I/O); the fetcher (:mod:`.fetcher`) resolves names and connects.

**URLs** (:func:`parse_url`): ``http`` and ``https`` only; at most :data:`MAX_URL_LENGTH`
characters; no whitespace or control characters; no ``user:password@`` (never sent, and a
classic way to disguise the real host); a port from 1 to 65535; a host that is an IP
literal or a DNS name made of letters, digits, ``-`` and ``_``. Hosts that end in a number
are IPv4 addresses in any of the forms browsers accept (``2130706433``, ``0x7f.1``,
``017700000001``, ``127.1``) and are read here the same way, so the check and the
connection agree on the address whatever the operating system's resolver would make of them.
Names that can only mean this machine or its network (``localhost``, ``*.localhost``,
``*.local``, ``*.internal``, ``*.home.arpa``, single-label names) are refused outright.

**Addresses** (:func:`refusal`): an address is contacted only when it is globally routable,
judged from IANA's special-purpose registries rather than ``ipaddress.is_global`` (which
calls ``fec0::1``, ``192.0.0.8`` and ``::127.0.0.1`` global). IPv6 forms that carry an IPv4
address are unwrapped and the IPv4 address is judged as well: IPv4-mapped (``::ffff:a.b.c.d``)
and NAT64 (``64:ff9b::/96``) reach that IPv4 address; 6to4 (``2002::/16``) and Teredo
(``2001::/32``) lead to it; IPv4-compatible (``::a.b.c.d``), IPv4-translated
(``::ffff:0:a.b.c.d``) and local-use NAT64 (``64:ff9b:1::/48``) are refused as they are. IPv6
outside the global unicast range ``2000::/3`` is refused.

**The allowlist** (:class:`FetchPolicy`, ``ANTIGRAVITY_FETCH_ALLOW``) opens chosen hosts or
networks, each on the ports it names: ``intranet.example`` (ports 80 and 443),
``intranet.example:8080``, ``*.corp.example:*`` (any port), ``10.1.0.0/16``, ``127.0.0.1:8000``,
``[::1]:*``, ``[fd00::/8]:443``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_URL_LENGTH = 8192
DEFAULT_PORTS = frozenset({80, 443})


class FetchError(Exception):
    """The URL was not fetched; the message says why and what to do."""


class FetchRefused(FetchError):
    """The URL leads where this server may not go (an internal address, or not http/https).

    A refused URL is never fetched by any other means either (not handed to the model)."""


class InvalidURL(FetchRefused):
    """The text is not a URL this server can fetch; refused before anything else happens."""


def _networks(*rows: tuple[str, str]) -> tuple[tuple[IPNetwork, str], ...]:
    return tuple((ipaddress.ip_network(cidr), why) for cidr, why in rows)


_METADATA = "a link-local address (this includes the cloud metadata service, 169.254.169.254)"
_BLOCKED_V4 = _networks(
    ("0.0.0.0/8", "a 'this network' address (0.0.0.0/8 reaches this machine)"),
    ("10.0.0.0/8", "a private address"),
    ("100.64.0.0/10", "a shared (carrier-grade NAT) address"),
    ("127.0.0.0/8", "a loopback address"),
    ("169.254.0.0/16", _METADATA),
    ("172.16.0.0/12", "a private address"),
    ("192.0.0.0/24", "an IETF protocol address (192.0.0.0/24)"),
    ("192.0.2.0/24", "a documentation address"),
    ("192.88.99.0/24", "a 6to4 relay address (deprecated)"),
    ("192.168.0.0/16", "a private address"),
    ("198.18.0.0/15", "a benchmarking address"),
    ("198.51.100.0/24", "a documentation address"),
    ("203.0.113.0/24", "a documentation address"),
    ("224.0.0.0/4", "a multicast address"),
    ("240.0.0.0/4", "a reserved address (this includes the broadcast address)"),
)
_BLOCKED_V6 = _networks(
    ("::1/128", "a loopback address"),
    ("::/128", "the unspecified address"),
    ("::ffff:0:0:0/96", "an IPv4-translated address"),
    ("::/96", "an IPv4-compatible address (deprecated)"),
    ("64:ff9b:1::/48", "a local-use NAT64 address"),
    ("100::/64", "a discard-only address"),
    ("2001::/23", "an IETF protocol address (this includes Teredo, 2001::/32)"),
    ("2001:db8::/32", "a documentation address"),
    ("3fff::/20", "a documentation address"),
    ("5f00::/16", "a segment-routing address"),
    ("fc00::/7", "a unique-local (private) address"),
    ("fe80::/10", "a link-local address"),
    ("fec0::/10", "a site-local address (deprecated)"),
    ("ff00::/8", "a multicast address"),
)
_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_COMPATIBLE = ipaddress.ip_network("::/96")
_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".localdomain", ".lan", ".invalid")
_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
_NUMERIC = re.compile(r"(0x[0-9a-f]*|[0-9]+)")


def embedded_ipv4(address: ipaddress.IPv6Address) -> Iterator[tuple[str, ipaddress.IPv4Address]]:
    """The IPv4 addresses an IPv6 address carries, each with the name of its form."""
    if address.ipv4_mapped is not None:
        yield "IPv4-mapped", address.ipv4_mapped
    packed = int(address)
    if address in _NAT64:
        yield "NAT64", ipaddress.IPv4Address(packed & 0xFFFFFFFF)
    if address.sixtofour is not None:
        yield "6to4", address.sixtofour
    if address.teredo is not None:
        server, client = address.teredo
        yield "Teredo server", server
        yield "Teredo client", client
    if address in _COMPATIBLE and packed > 1:
        yield "IPv4-compatible", ipaddress.IPv4Address(packed & 0xFFFFFFFF)
    if address in _TRANSLATED:
        yield "IPv4-translated", ipaddress.IPv4Address(packed & 0xFFFFFFFF)


def refusal(address: IPAddress) -> str | None:
    """Why ``address`` may not be contacted (``None``: it is globally routable)."""
    if isinstance(address, ipaddress.IPv6Address):
        address = ipaddress.IPv6Address(int(address))  # drop a zone id: it changes nothing reached
        for form, inner in embedded_ipv4(address):
            why = refusal(inner)
            if why is not None:
                return f"the {form} form of {inner}, which is {why}"
        if address.ipv4_mapped is not None:
            return None  # it IS that (public) IPv4 address
        if address in _NAT64:
            return None  # the well-known NAT64 prefix is global: it reaches that public IPv4 address
        for network, why in _BLOCKED_V6:
            if address in network:
                return why
        if address not in _GLOBAL_UNICAST:
            return "a reserved IPv6 address (outside the global unicast range 2000::/3)"
    else:
        for network, why in _BLOCKED_V4:
            if address in network:
                return why
    if not address.is_global:
        return "not a globally routable address"
    return None


def parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """``host`` as an IPv4 address in any form a browser reads (``None``: it is not a number).

    Raises :class:`InvalidURL` for a host that ends in a number but is no valid address."""
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if not _NUMERIC.fullmatch(parts[-1]):
        return None
    numbers: list[int] = []
    for part in parts:
        if not _NUMERIC.fullmatch(part):
            raise InvalidURL(f"{host!r} is neither a host name nor an IPv4 address.")
        if part.startswith("0x"):
            value = int(part[2:] or "0", 16)
        elif len(part) > 1 and part.startswith("0"):
            if not set(part) <= set("01234567"):
                raise InvalidURL(f"{host!r} is not a valid IPv4 address ({part!r} is not octal).")
            value = int(part, 8)
        else:
            value = int(part)
        numbers.append(value)
    if len(numbers) > 4 or any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise InvalidURL(f"{host!r} is not a valid IPv4 address.")
    value = numbers[-1]
    for index, number in enumerate(numbers[:-1]):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect and how to present the request."""

    url: str
    scheme: str
    host: str
    """Lower case; IDNA-encoded for names; without brackets for IPv6."""
    port: int
    explicit_port: bool
    address: IPAddress | None
    """The address, when the host is an IP literal (or a number form of one)."""
    parts: SplitResult

    @property
    def host_header(self) -> str:
        shown = f"[{self.host}]" if isinstance(self.address, ipaddress.IPv6Address) else self.host
        return f"{shown}:{self.port}" if self.explicit_port else shown

    def with_address(self, address: IPAddress) -> str:
        """The URL with its host replaced by ``address`` (for connecting to the checked address)."""
        shown = f"[{address}]" if address.version == 6 else str(address)
        netloc = f"{shown}:{self.port}" if self.explicit_port else shown
        return self.parts._replace(netloc=netloc).geturl()


def parse_url(url: str) -> Target:
    """The checked target of ``url``; raises :class:`InvalidURL` or :class:`FetchRefused` saying why."""
    shown = url if len(url) <= 100 else url[:100] + "..."
    if len(url) > MAX_URL_LENGTH:
        raise InvalidURL(f"The URL is {len(url):,} characters long; at most {MAX_URL_LENGTH:,} are accepted.")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise InvalidURL(f"{shown!r} contains whitespace or control characters; a URL cannot.")
    try:
        parts = urlsplit(url)
        scheme = parts.scheme
        if scheme not in ("http", "https"):
            raise FetchRefused(f"Only http and https URLs can be fetched, not {scheme or 'this'!r}: {shown}")
        port = parts.port
    except ValueError as exc:
        raise InvalidURL(f"{shown!r} is not a valid URL: {_url_problem(exc)}.") from None
    if "@" in parts.netloc:
        raise InvalidURL(
            f"{shown!r} carries a user name or password (user:password@host); such URLs are not fetched. "
            "Give the URL without it."
        )
    if "\\" in parts.netloc or "%" in parts.netloc.split("]")[-1]:
        raise InvalidURL(f"{shown!r} has a host with characters a host name cannot contain.")
    if port == 0:
        raise InvalidURL(f"{shown!r} is not a valid URL: the port must be from 1 to 65535.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise InvalidURL(f"{shown!r} has no host.")
    address = _literal(host, parts.netloc)
    if address is None:
        host = _checked_name(host, shown)
    return Target(
        url=url,
        scheme=scheme,
        host=str(address) if isinstance(address, ipaddress.IPv6Address) else host,
        port=port or (443 if scheme == "https" else 80),
        explicit_port=port is not None,
        address=address,
        parts=parts,
    )


def _url_problem(exc: ValueError) -> str:
    text = str(exc)
    if "Port" in text or "port" in text:
        return "the port must be a number from 1 to 65535"
    if "IPv6" in text:
        return "an IPv6 address must be written in complete brackets, like http://[2001:db8::1]/"
    return text


def _literal(host: str, netloc: str) -> IPAddress | None:
    if "[" in netloc:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            raise InvalidURL(f"[{host}] is not a valid IPv6 address.") from None
    return parse_ipv4(host)


def _checked_name(host: str, shown: str) -> str:
    try:
        name = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InvalidURL(f"{shown!r} has a host that is not a valid domain name.") from None
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in name.split(".")):
        raise InvalidURL(f"{shown!r} has a host that is not a valid domain name.")
    if name == "localhost" or name.endswith(_LOCAL_SUFFIXES):
        raise FetchRefused(
            f"Refused to fetch {shown}: {name} names this machine or its local network. Internal addresses "
            "are not fetched; an administrator can allow chosen hosts with ANTIGRAVITY_FETCH_ALLOW."
        )
    if "." not in name:
        raise FetchRefused(
            f"Refused to fetch {shown}: {name!r} is a single-label name, which only a local network resolves. "
            "Give the full domain name; an administrator can allow chosen hosts with ANTIGRAVITY_FETCH_ALLOW."
        )
    return name


# ----------------------------------------------------------------------------- the allowlist


@dataclass(frozen=True)
class _Entry:
    host: str | None
    network: IPNetwork | None
    ports: frozenset[int] | None
    """``None``: any port."""

    def port_ok(self, port: int) -> bool:
        return self.ports is None or port in self.ports


def _entry(raw: str) -> _Entry:
    text, ports = raw, "default"
    bracket = re.fullmatch(r"\[([^\]]+)\](?::(\*|\d{1,5}))?", raw)
    if bracket:
        text, ports = bracket.group(1), bracket.group(2) or "default"
    elif raw.count(":") == 1:
        text, ports = raw.split(":")
    chosen: frozenset[int] | None
    if ports == "*":
        chosen = None
    elif ports == "default":
        chosen = DEFAULT_PORTS
    elif ports.isdigit() and 1 <= int(ports) <= 65535:
        chosen = frozenset({int(ports)})
    else:
        raise ValueError(f"{raw!r}: the port must be a number from 1 to 65535, or *")
    try:
        return _Entry(None, ipaddress.ip_network(text, strict=False), chosen)
    except ValueError:
        pass
    name = text.lower().rstrip(".")
    bare = name.removeprefix("*.")
    if not bare or not all(_LABEL.fullmatch(label) for label in bare.split(".")):
        raise ValueError(f"{raw!r} is neither a host name, a *.domain, an IP address nor a CIDR network")
    return _Entry(name, None, chosen)


@dataclass(frozen=True)
class FetchPolicy:
    """Hosts and networks an administrator opened (``ANTIGRAVITY_FETCH_ALLOW``), on chosen ports."""

    entries: tuple[_Entry, ...] = ()

    @classmethod
    def parse(cls, entries: Sequence[str]) -> FetchPolicy:
        """``["intranet.example", "10.1.0.0/16:*", "127.0.0.1:8000"]`` → a policy. Raises ValueError."""
        return cls(tuple(_entry(e.strip()) for e in entries if e.strip()))

    def host_allowed(self, host: str, port: int) -> bool:
        """Whether the name ``host`` was opened on ``port`` (its addresses are then not judged)."""
        host = host.lower().rstrip(".")
        for entry in self.entries:
            if entry.host is None or not entry.port_ok(port):
                continue
            if host == entry.host or (entry.host.startswith("*.") and host.endswith(entry.host[1:])):
                return True
        return False

    def refusal(self, address: IPAddress, port: int = 443) -> str | None:
        """Why ``address`` may not be contacted on ``port``, or ``None`` when it may."""
        plain = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
        for entry in self.entries:
            network = entry.network
            if (
                network is not None
                and entry.port_ok(port)
                and (address in network or (plain and plain in network))
            ):
                return None
        return refusal(address)
