"""The shared store's settings: TLS, passwords that never show, and clear refusals at start-up."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AsyncExitStack, ExitStack
from pathlib import Path

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from mcp_antigravity import build_server
from mcp_antigravity.config import load_settings
from mcp_antigravity.conversation.store import Limits
from mcp_antigravity.emulator import Emulator
from mcp_antigravity.storage import StoreError, open_storage
from mcp_antigravity.storage.redis import describe

from ..conftest import free_port, make_settings, running_redis, text_of

pytestmark = pytest.mark.anyio
PASSWORD = "s3cret-redis-pass"


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("ANTIGRAVITY_")}
    child_env.update(env, ANTIGRAVITY_DATA_DIR=str(tmp_path / "data"), ANTIGRAVITY_LOG_LEVEL="DEBUG")
    return subprocess.run(
        [sys.executable, "-m", "mcp_antigravity", *args],
        env=child_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def tls_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """A Redis that speaks TLS only (a self-signed certificate for 127.0.0.1) and wants a password."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: no certificate for the TLS Redis")
    folder = tmp_path_factory.mktemp("tls-redis")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    options = [
        "--tls-cert-file",
        str(cert),
        "--tls-key-file",
        str(key),
        "--tls-ca-cert-file",
        str(cert),
        "--tls-auth-clients",
        "no",
        "--requirepass",
        PASSWORD,
    ]
    with running_redis(folder, *options, tls=True) as port:
        yield port, cert


async def test_tls_with_the_password_in_its_own_setting(tls_redis: tuple[int, Path], tmp_path: Path) -> None:
    port, cert = tls_redis
    url = f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={cert}"
    async with AsyncExitStack() as stack:
        settings = make_settings("http://127.0.0.1:9", data_dir=tmp_path, store=url, store_password=PASSWORD)
        storage = await open_storage(settings, Limits(), stack)
        assert await storage.sessions.summaries(None) == []


async def test_a_certificate_nobody_vouches_for_is_refused(
    tls_redis: tuple[int, Path], tmp_path: Path
) -> None:
    port, _ = tls_redis
    settings = make_settings(
        "http://127.0.0.1:9", data_dir=tmp_path, store=f"rediss://:{PASSWORD}@127.0.0.1:{port}/0"
    )
    async with AsyncExitStack() as stack:
        with pytest.raises(StoreError, match="certificate verify failed") as refused:
            await open_storage(settings, Limits(), stack)
    assert PASSWORD not in str(refused.value)
    assert f"rediss://:***@127.0.0.1:{port}/0" in str(refused.value)


def test_the_password_never_shows(tls_redis: tuple[int, Path], tmp_path: Path) -> None:
    port, cert = tls_redis
    url = f"rediss://:{PASSWORD}@127.0.0.1:{port}/0?ssl_ca_certs={cert}"
    settings = load_settings(store=url)
    assert PASSWORD not in repr(settings) and PASSWORD not in describe(url)
    listed = run_cli(tmp_path, "accounts", "list", ANTIGRAVITY_STORE=url)  # connects, at debug level
    assert listed.returncode == 0, listed.stderr
    wrong = url.replace(PASSWORD, "not-the-password")
    refused = run_cli(
        tmp_path, "serve", "--transport", "streamable-http", "--port", "0", ANTIGRAVITY_STORE=wrong
    )
    assert refused.returncode == 2
    assert (
        refused.stderr.strip()
        .splitlines()[-1]
        .startswith(f"Cannot use the store at rediss://:***@127.0.0.1:{port}/0")
    )
    for output in (listed.stdout, listed.stderr, refused.stdout, refused.stderr):
        assert PASSWORD not in output and "not-the-password" not in output


def test_a_store_that_is_not_there_stops_the_server_with_one_sentence(tmp_path: Path) -> None:
    port = free_port()
    refused = run_cli(
        tmp_path,
        "serve",
        "--transport",
        "streamable-http",
        "--port",
        "0",
        ANTIGRAVITY_STORE=f"redis://127.0.0.1:{port}/0",
    )
    assert refused.returncode == 2
    assert (
        refused.stderr.strip()
        .splitlines()[-1]
        .startswith(f"Cannot use the store at redis://127.0.0.1:{port}/0: ")
    )
    assert "Traceback" not in refused.stderr


@pytest.mark.parametrize("value", ["postgres://db/1", "redis://", "http://127.0.0.1:6379"])
def test_a_store_that_is_not_redis_is_refused_by_name(tmp_path: Path, value: str) -> None:
    refused = run_cli(tmp_path, "serve", ANTIGRAVITY_STORE=value)
    assert refused.returncode == 2
    assert "ANTIGRAVITY_STORE" in refused.stderr and "redis://host:port/db" in refused.stderr


@pytest.mark.parametrize(
    "query", ["ssl_cert_reqs=none", "ssl_cert_reqs=optional", "ssl_check_hostname=false"]
)
def test_the_certificate_check_cannot_be_turned_off(tmp_path: Path, query: str) -> None:
    refused = run_cli(tmp_path, "serve", ANTIGRAVITY_STORE=f"rediss://127.0.0.1:6379/0?{query}")
    assert refused.returncode == 2
    assert "ANTIGRAVITY_STORE" in refused.stderr and "must not turn off the TLS" in refused.stderr


async def test_a_store_that_goes_away_mid_run_is_told_and_then_used_again(
    emulator: tuple[Emulator, str], tmp_path: Path
) -> None:
    _, url = emulator
    folder = tmp_path / "redis"
    folder.mkdir()
    redis = ExitStack()
    port = redis.enter_context(running_redis(folder, "--requirepass", PASSWORD))
    server = build_server(
        make_settings(url, data_dir=tmp_path / "data", store=f"redis://:{PASSWORD}@127.0.0.1:{port}/0")
    )
    try:
        async with Client(server) as client:
            first = await client.call_tool("chat", {"prompt": "before"})
            assert not first.is_error, text_of(first)
            session = first.structured_content["session_id"]
            redis.close()  # Redis goes away under the running server
            failed = await client.call_tool("chat", {"prompt": "during", "session_id": session})
            fresh = await client.call_tool("chat", {"prompt": "during, new"})
            with pytest.raises(MCPError, match=re.escape("The shared store at redis://:***@127.0.0.1")):
                await client.read_resource("antigravity://sessions")
            with running_redis(folder, "--requirepass", PASSWORD, port=port):  # back (empty: no persistence)
                again = await client.call_tool("chat", {"prompt": "after"})
    finally:
        redis.close()
    for refused in (failed, fresh):
        told = text_of(refused)
        assert refused.is_error and f"The shared store at redis://:***@127.0.0.1:{port}/0 failed" in told
        assert "Retry shortly" in told and PASSWORD not in told and "unexpectedly" not in told
    assert not again.is_error, text_of(again)
