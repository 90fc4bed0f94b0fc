"""The attacker's instruments: a connect guard that sees every socket connect and file open made
by this process, and a loopback canary that counts the connections it receives."""

from __future__ import annotations

import select
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from mcp.types import TextContent


@dataclass
class ConnectGuard:
    """Records ``socket.connect`` and ``open`` audit events while :meth:`watching`."""

    connects: list[Any] = field(default_factory=list)
    opens: list[str] = field(default_factory=list)
    active: bool = False

    def hook(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.active:
            return
        if event == "socket.connect":
            self.connects.append(args[1])
        elif event == "open" and isinstance(args[0], str):
            self.opens.append(args[0])

    @contextmanager
    def watching(self) -> Iterator[ConnectGuard]:
        self.connects.clear()
        self.opens.clear()
        self.active = True
        try:
            yield self
        finally:
            self.active = False


_GUARD = ConnectGuard()
sys.addaudithook(_GUARD.hook)  # audit hooks cannot be removed: one for the whole run, switched on per test


@pytest.fixture
def guard() -> ConnectGuard:
    return _GUARD


class Canary:
    """A listener on 127.0.0.1 and [::1] (same port) that accepts and counts, and never answers."""

    def __init__(self) -> None:
        self.v4 = socket.create_server(("127.0.0.1", 0))
        self.port = self.v4.getsockname()[1]
        self.sockets = [self.v4]
        try:
            v6 = socket.create_server(("::1", self.port), family=socket.AF_INET6)
            self.sockets.append(v6)
        except OSError:
            pass  # no IPv6 loopback here: IPv6 forms are refused before any connect anyway
        self.hits = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        held = []
        while not self._stop.is_set():
            ready, _, _ = select.select(self.sockets, [], [], 0.05)
            for listener in ready:
                conn, _ = listener.accept()
                self.hits += 1
                held.append(conn)  # never answered: a fetch that got here would hang
        for conn in held:
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for listener in self.sockets:
            listener.close()


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    listener = Canary()
    yield listener
    listener.close()


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    """Module-wide, so one server can serve a whole battery."""
    return "asyncio"


def text_of(result: Any) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))
