"""What a production HTTP server sets, for the streamable HTTP and SSE transports.

uvicorn by itself waits forever for a request's headers (a client dripping one byte every few
seconds holds its connection, and its file descriptor, for good), accepts connections until
the process runs out of descriptors, and the MCP SDK keeps 10,000 idle sessions for 30
minutes (a flood of ``initialize`` requests turns every new client away for that long).

* :func:`guarded_protocol`: uvicorn's HTTP/1.1 protocol with a **header timeout** (the whole
  request head must arrive within it, however slowly the bytes drip; answered 408), a **body
  timeout** (the body must arrive within it once the head is in) and a **connection cap**:
  at the cap a new connection takes the place of the oldest one that is not in the middle of a
  request (a slow or idle one), so a flood of slow connections cannot lock clients out.
* :class:`ConcurrencyLimit`: requests in progress at once; past it, 503 with ``Retry-After``.
* :class:`SessionGuard`: a cap on MCP sessions (streamable HTTP) where, at the cap, a new
  session ends the idle session that did least (sessions that only ever initialized go first,
  oldest first), so a flood of ``initialize`` requests cannot lock new clients out; the SDK
  expires idle sessions after ``ANTIGRAVITY_HTTP_SESSION_IDLE_TIMEOUT``.
* :func:`transport_security`: DNS-rebinding protection for every loopback bind, not only
  ``127.0.0.1``, and for any bind whose public names are configured.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
import h11
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

SESSION_HEADER = b"mcp-session-id"
FRESH_REQUESTS = 2
"""Requests a session has made (initialize, initialized) before it counts as used."""


@dataclass(frozen=True)
class HttpLimits:
    header_timeout: float = 10.0
    body_timeout: float = 60.0
    max_connections: int = 512


def guarded_protocol(limits: HttpLimits) -> type[H11Protocol]:
    """uvicorn's h11 protocol with the limits above (a class, as uvicorn's ``http`` option takes)."""

    class GuardedProtocol(_GuardedProtocol):
        LIMITS = limits

    return GuardedProtocol


class _GuardedProtocol(H11Protocol):
    LIMITS = HttpLimits()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._opened = time.monotonic()
        self._timer: asyncio.TimerHandle | None = None
        self._stage = "head"
        self._arm()
        if len(self.connections) > self.LIMITS.max_connections:
            self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self._stage == "head" and self._in_request():
            self._stage = "body" if self.conn.their_state is h11.SEND_BODY else "served"
            self._arm()
        if self._stage == "body" and self.conn.their_state is not h11.SEND_BODY:
            self._stage = "served"
            self._disarm()

    def on_response_complete(self) -> None:
        self._stage = "head"  # the next request's head, on a kept-alive connection
        self._arm()
        super().on_response_complete()

    # ------------------------------------------------------------------ timers

    def _in_request(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _arm(self) -> None:
        self._disarm()
        if self._stage == "head":
            self._timer = self.loop.call_later(self.LIMITS.header_timeout, self._timed_out)
        elif self._stage == "body":
            self._timer = self.loop.call_later(self.LIMITS.body_timeout, self._timed_out)

    def _disarm(self) -> None:
        if getattr(self, "_timer", None) is not None:
            self._timer.cancel()  # type: ignore[union-attr]
            self._timer = None

    def _timed_out(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if self._stage == "head" and not self._in_request():
            self._close_with(408, "the request headers did not arrive in time")
        else:
            log.info("closing a connection whose request body did not arrive in time")
            self.transport.close()

    # ------------------------------------------------------------------ the connection cap

    def _idle(self) -> bool:
        """Waiting for a request head (idle, or slow): a connection the cap may close first."""
        return self._stage == "head" and not self._in_request() and not self.transport.is_closing()

    def _make_room(self) -> None:
        waiting = [
            c for c in self.connections if isinstance(c, _GuardedProtocol) and c is not self and c._idle()
        ]
        if waiting:
            oldest = min(waiting, key=lambda c: c._opened)
            oldest._close_with(503, "the server is at its connection limit")
        else:
            self._close_with(503, "the server is at its connection limit")

    def _close_with(self, status: int, why: str) -> None:
        """Answer without h11 (no request may have arrived) and close."""
        body = json.dumps({"error": why}).encode()
        phrase = {408: b"Request Timeout", 503: b"Service Unavailable"}[status]
        head = (
            b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: %d\r\n\r\n"
            % (status, phrase, len(body))
        )
        self._disarm()
        if not self.transport.is_closing():
            self.transport.write(head + body)
            self.transport.close()


async def _json_error(
    send: Send, status: int, message: str, headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    body = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class ConcurrencyLimit:
    """At most ``limit`` HTTP requests in progress at once (open SSE streams count); 503 past it."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self._app = app
        self._limit = limit
        self.active = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        if self.active >= self._limit:
            await _json_error(
                send,
                503,
                f"The server is handling {self._limit} requests, its limit "
                "(ANTIGRAVITY_HTTP_MAX_CONCURRENT_REQUESTS); retry shortly.",
                [(b"retry-after", b"1")],
            )
            return
        self.active += 1
        try:
            await self._app(scope, receive, send)
        finally:
            self.active -= 1


class BodyLimit:
    """Request bodies up to ``limit`` bytes; a larger declared one gets 413 with a message naming
    the limit and what to do (a body streamed without a length is cut by the SDK at the same
    limit). The refused body is read and dropped first, up to four times the limit (and within
    the body timeout), so that the client, still sending, gets to read the answer; nothing of it
    is kept."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self._app = app
        self._limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            declared = dict(scope["headers"]).get(b"content-length", b"")
            if declared.isdigit() and int(declared) > self._limit:
                await self._drain(receive, min(int(declared), 4 * self._limit))
                await _json_error(
                    send,
                    413,
                    f"The request body is {int(declared):,} bytes; this server takes at most {self._limit:,} "
                    "(ANTIGRAVITY_HTTP_MAX_BODY_BYTES). Send large media by URL, or as a file under "
                    "ANTIGRAVITY_FILE_ROOTS, or raise the limit.",
                    [(b"connection", b"close")],
                )
                return
        await self._app(scope, receive, send)

    @staticmethod
    async def _drain(receive: Receive, most: int) -> None:
        dropped = 0
        while dropped < most:
            message = await receive()
            if message["type"] != "http.request":
                return
            dropped += len(message.get("body", b""))
            if not message.get("more_body", False):
                return


@dataclass
class _Session:
    last_seen: float
    requests: int = 1
    in_flight: int = 0


@dataclass
class SessionGuard:
    """A cap on the MCP sessions of a streamable HTTP app that never turns a new client away
    while some session sits idle: see the module documentation."""

    app: ASGIApp
    max_sessions: int
    path: str = "/mcp"
    clock: Callable[[], float] = time.monotonic
    sessions: dict[bytes, _Session] = field(default_factory=dict)
    opening: int = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        session_id = headers.get(SESSION_HEADER)
        if session_id is None:
            await self._open(scope, receive, send, headers)
            return
        known = self.sessions.get(session_id)
        if known is None:
            await self.app(scope, receive, send)
            return
        known.requests += 1
        known.in_flight += 1
        known.last_seen = self.clock()
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            known.in_flight -= 1
            known.last_seen = self.clock()
            if status == 404 or (scope["method"] == "DELETE" and status < 300):
                self.sessions.pop(session_id, None)  # ended by the client, or expired by the SDK

    async def _open(self, scope: Scope, receive: Receive, send: Send, headers: dict[bytes, bytes]) -> None:
        version = headers.get(b"mcp-protocol-version")
        # Only the handshake protocol versions open sessions; newer requests are self-contained.
        opening = scope["method"] == "POST" and (
            version is None or version.decode() in HANDSHAKE_PROTOCOL_VERSIONS
        )
        if (
            opening
            and len(self.sessions) + self.opening >= self.max_sessions
            and not await self._evict(headers)
        ):
            await _json_error(
                send,
                503,
                f"{self.max_sessions} MCP sessions are busy, the limit (ANTIGRAVITY_HTTP_MAX_SESSIONS); retry shortly.",
                [(b"retry-after", b"1")],
            )
            return

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                created = dict(message.get("headers", [])).get(SESSION_HEADER)
                if created is not None:
                    self.sessions[created] = _Session(last_seen=self.clock())
            await send(message)

        self.opening += opening  # from now on: a session being opened takes its place at once
        try:
            await self.app(scope, receive, record)
        finally:
            self.opening -= opening

    async def _evict(self, headers: dict[bytes, bytes]) -> bool:
        """End the idle session that did least; ``False`` when every session is busy."""
        idle = [
            (s.requests > FRESH_REQUESTS, s.last_seen, sid)
            for sid, s in self.sessions.items()
            if not s.in_flight
        ]
        if not idle:
            return False
        *_, victim = min(idle)
        self.sessions.pop(victim, None)
        log.info(
            "at %d MCP sessions: ending the idle session %s for a new one", self.max_sessions, victim[:8]
        )
        await self._end(victim, headers)
        return True

    async def _end(self, session_id: bytes, headers: dict[bytes, bytes]) -> None:
        """Terminate a session the way a client does: DELETE with its id."""
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "DELETE",
            "scheme": "http",
            "path": self.path,
            "raw_path": self.path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", headers.get(b"host", b"127.0.0.1")), (SESSION_HEADER, session_id)],
            "client": ("127.0.0.1", 0),
            "server": ("127.0.0.1", 0),
            "state": {},
        }
        sent = False

        async def receive() -> Message:
            nonlocal sent
            if sent:
                await anyio.sleep_forever()  # nothing more will come; the call ends before this matters
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}

        async def discard(message: Message) -> None:
            return None

        await self.app(scope, receive, discard)


def _is_loopback(host: str) -> bool:
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def transport_security(host: str, public_names: Sequence[str]) -> TransportSecuritySettings | None:
    """DNS-rebinding protection: which ``Host`` and ``Origin`` headers the server answers.

    On any loopback address, only loopback names (and ``public_names``); elsewhere, only
    ``public_names`` when they are given, else no check (the bearer token guards the server,
    and a proxy in front usually checks the host)."""
    names = list(public_names)
    if _is_loopback(host):
        shown = f"[{host}]" if ":" in host else host
        names = [shown, "127.0.0.1", "localhost", "[::1]", *names]
    if not names:
        return None
    hosts = [pattern for name in dict.fromkeys(names) for pattern in _host_patterns(name)]
    origins = [f"{scheme}://{h}" for h in hosts for scheme in ("http", "https")]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


def _host_patterns(name: str) -> list[str]:
    """``mcp.example.com`` → itself on its default port and on any port; a name with a port stays as is."""
    has_port = ":" in name.rsplit("]", 1)[-1]
    return [name] if has_port else [name, f"{name}:*"]
