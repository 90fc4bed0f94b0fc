"""Shared fixtures: a real emulator on a loopback port, and settings pointed at it."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest
from hypothesis import settings
from mcp.types import TextContent

from mcp_antigravity.accounts import Account, AccountsFile
from mcp_antigravity.antigravity import AntigravityClient
from mcp_antigravity.config import Settings, load_settings
from mcp_antigravity.emulator import Emulator, EmulatorConfig, running_emulator

# CI replays the same examples every run (a landing never hinges on luck); local runs explore new ones.
# No per-example deadline: these machines are shared and their timing is noise.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

TOKEN = "test-token"
PROJECT = "test-project"
UA = "antigravity/hub/2.9.1 linux/amd64"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _isolate(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Point every per-user location at ``home`` and forget the developer's ANTIGRAVITY_* variables."""
    for name in list(os.environ):
        if name.upper().startswith("ANTIGRAVITY_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "xdg-cache"))


@pytest.fixture(scope="session", autouse=True)
def _isolated_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Before any fixture of any scope builds a server: no test sees the user's data, config or
    ANTIGRAVITY_* variables (module-scoped servers are built before function fixtures run)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _isolate(monkeypatch, tmp_path_factory.mktemp("home"))
        yield


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test gets its own home, config and data directories."""
    _isolate(monkeypatch, tmp_path / "home")


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(token=TOKEN, project=PROJECT)


@pytest.fixture
async def emulator(emulator_config: EmulatorConfig) -> AsyncIterator[tuple[Emulator, str]]:
    async with running_emulator(emulator_config) as running:
        yield running


def generations(emulator: Emulator) -> list[dict[str, Any]]:
    """The model calls the emulator received (catalog reads and discovery left out)."""
    return [r for r in emulator.requests if r["method"] in ("generateContent", "streamGenerateContent")]


def make_settings(*endpoints: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "endpoints": list(endpoints),
        "access_token": TOKEN,
        "project": PROJECT,
        "backoff_initial": 0.01,
        "backoff_max": 0.05,
        "request_deadline": 20.0,
        "onboard_poll_interval": 0.0,
    }
    values.update(overrides)
    return load_settings(**values)


A, B, C = "a@example.com", "b@example.com", "c@example.com"


def three_accounts(**per_account: dict[str, Any]) -> EmulatorConfig:
    """An emulator that knows A (its first account), B and C, each with its own tokens and
    project; ``per_account`` sets an account's quota, bursts or state (by email)."""
    from mcp_antigravity.emulator.accounts import EmulatedAccount

    return EmulatorConfig(
        token=TOKEN,
        project=PROJECT,
        email=A,
        refresh_token="rt-a",
        accounts=[
            EmulatedAccount(A, TOKEN, "rt-a", PROJECT, **per_account.get(A, {})),
            EmulatedAccount(B, "tok-b", "rt-b", "proj-b", **per_account.get(B, {})),
            EmulatedAccount(C, "tok-c", "rt-c", "proj-c", **per_account.get(C, {})),
        ],
    )


OAUTH_CLIENT = {"oauth_client_id": "desktop-client", "oauth_client_secret": "desktop-secret"}


def store_accounts(folder: Path, tokens: dict[str, str]) -> AccountsFile:
    """``accounts.json`` in ``folder`` with these accounts (email → refresh token), as `accounts add` leaves it."""
    file = AccountsFile(folder / "accounts.json")
    file.update(lambda accounts: accounts.extend(Account(email, token) for email, token in tokens.items()))
    return file


def pool_settings(url: str, folder: Path, **overrides: Any) -> Settings:
    """Settings that call ``url`` with the accounts stored in ``folder`` (no token in the settings,
    each account's project discovered, its tokens from the emulator's OAuth endpoint)."""
    values: dict[str, Any] = {
        "access_token": None,
        "project": None,
        "data_dir": folder,
        "oauth_token_url": f"{url}/token",
        **OAUTH_CLIENT,
    }
    return make_settings(url, **(values | overrides))


class RecordingSleep:
    """Stands in for anyio.sleep in the retry loop: records each delay, returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
async def http() -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(timeout=10.0) as client:
        yield client


def make_client(
    http: httpx2.AsyncClient, settings: Settings, sleep: RecordingSleep | None = None
) -> AntigravityClient:
    return AntigravityClient(settings, http, sleep=sleep or RecordingSleep(), random=lambda: 0.5)


def text_of(result: Any) -> str:
    """The text blocks of a tool result, joined by newlines."""
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


# ----------------------------------------------------------------------------- a real Redis

REDIS_REQUIRED = "MCP_ANTIGRAVITY_TESTS_NEED_REDIS"
"""Set (as .ci/run does): a missing redis-server fails the Redis tests instead of skipping them."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def redis_binary() -> str:
    """The redis-server binary; the test is skipped without one (failed where it is required)."""
    binary = shutil.which("redis-server")
    if binary is None:
        message = (
            "redis-server is not installed (apt-get install redis-server); the Redis backend is not tested"
        )
        if os.environ.get(REDIS_REQUIRED):
            pytest.fail(message)
        pytest.skip(message)
    return binary


@contextmanager
def running_redis(folder: Path, *options: str, tls: bool = False, port: int | None = None) -> Iterator[int]:
    """A redis-server of its own on a free loopback port (or ``port``; no disk persistence,
    ``options`` added); yields the port once it accepts connections. ``tls``: the port speaks
    TLS only."""
    port = port or free_port()
    (folder / "redis.log").unlink(missing_ok=True)
    listen = ["--port", "0", "--tls-port", str(port)] if tls else ["--port", str(port)]
    process = subprocess.Popen(
        [
            redis_binary(),
            "--bind",
            "127.0.0.1",
            *listen,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
            "--logfile",
            str(folder / "redis.log"),
            *options,
        ],
    )
    try:
        deadline = time.monotonic() + 20
        while "Ready to accept connections" not in _text(folder / "redis.log"):  # its own word for it
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start: {_text(folder / 'redis.log')}")
            time.sleep(0.02)
        yield port
    finally:
        process.terminate()
        process.wait(10)


def _text(path: Path) -> str:
    return path.read_text() if path.exists() else ""


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One Redis for the whole run, with a password as deployed: its URL (password in it). Each
    test keeps apart by a namespace of its own (:func:`redis_namespace`)."""
    password = secrets.token_hex(12)
    with running_redis(tmp_path_factory.mktemp("redis"), "--requirepass", password) as port:
        yield f"redis://:{password}@127.0.0.1:{port}/0"


@pytest.fixture
def redis_namespace() -> str:
    return "test-" + secrets.token_hex(6)
