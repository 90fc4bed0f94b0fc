"""What clients and users see of the catalog and the settings: the antigravity://models resource,
``mcp-antigravity models`` and ``mcp-antigravity config``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import anyio.to_thread
import httpx2
import pytest
from mcp import Client

from mcp_antigravity import build_server
from mcp_antigravity.emulator import Emulator, EmulatorConfig, running_emulator

from ..conftest import PROJECT, TOKEN, make_settings

pytestmark = pytest.mark.anyio


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ANTIGRAVITY_")}
    return subprocess.run(
        [sys.executable, "-m", "mcp_antigravity", *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_the_models_resource_shows_the_live_catalog_and_quota(
    tmp_path: Path, http: httpx2.AsyncClient
) -> None:
    config = EmulatorConfig(
        token=TOKEN, project=PROJECT, quota={"gemini-3-flash": 0.35, "claude-opus-4-6-thinking": 0.0}
    )
    async with running_emulator(config) as (_, url):  # noqa: SIM117 - the server needs the URL it yields
        async with Client(build_server(make_settings(url, data_dir=tmp_path))) as client:
            listed = {r.uri for r in (await client.list_resources()).resources}
            view = json.loads((await client.read_resource("antigravity://models")).contents[0].text)  # type: ignore[union-attr]
    assert "antigravity://models" in {str(u) for u in listed}
    assert view["source"] == "upstream (fetchAvailableModels)"
    models = {m["id"]: m for m in view["models"]}
    assert "chat_20706" not in models  # internal ids stay out
    flash = models["gemini-3-flash"]
    assert (flash["display_name"], flash["max_output_tokens"], flash["remaining_fraction"]) == (
        "Gemini 3 Flash",
        65536,
        0.35,
    )
    assert flash["reset_time"].endswith("Z")
    assert models["claude-opus-4-6-thinking"]["remaining_fraction"] == 0.0  # omitted upstream means used up
    assert models["gemini-pro-agent"]["display_name"] == "Gemini 3.1 Pro (High)"
    assert view["deprecated"]["claude-sonnet-4-5"] == "claude-sonnet-4-6"


async def test_the_models_command(emulator: tuple[Emulator, str]) -> None:
    _, url = emulator
    env = {"ANTIGRAVITY_ENDPOINTS": url, "ANTIGRAVITY_ACCESS_TOKEN": TOKEN, "ANTIGRAVITY_PROJECT": PROJECT}
    # the emulator answers from this event loop: the command runs in a thread meanwhile
    table = await anyio.to_thread.run_sync(lambda: cli("models", env=env))
    assert table.returncode == 0, table.stderr
    assert "gemini-pro-agent" in table.stdout and "Gemini 3.1 Pro (High)" in table.stdout
    assert (
        "quota 100%" in table.stdout
        and "claude-sonnet-4-5" in table.stdout
        and "retired: use claude-sonnet-4-6" in table.stdout
    )
    as_json = json.loads((await anyio.to_thread.run_sync(lambda: cli("models", "--json", env=env))).stdout)
    assert {m["id"] for m in as_json["models"]} >= {"gemini-3-flash", "claude-sonnet-4-6"}


def test_the_models_command_without_an_upstream_says_so_and_exits_1(tmp_path: Path) -> None:
    result = cli(
        "models",
        env={
            "ANTIGRAVITY_ENDPOINTS": "http://127.0.0.1:9",
            "ANTIGRAVITY_ACCESS_TOKEN": TOKEN,
            "ANTIGRAVITY_PROJECT": PROJECT,
            "ANTIGRAVITY_MAX_RETRIES": "0",
        },
    )
    assert result.returncode == 1
    assert "built-in (the upstream's catalog could not be read)" in result.stdout


def test_the_config_command_shows_each_source_and_hides_secrets(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('default_model = "claude-sonnet-4-6"\nmax_retries = 2\n')
    result = cli(
        "config",
        env={
            "ANTIGRAVITY_CONFIG_FILE": str(config),
            "ANTIGRAVITY_ACCESS_TOKEN": "ya29.very-secret-token",
            "ANTIGRAVITY_MAX_RETRIES": "5",
        },
    )
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.startswith("ANTIGRAVITY_")}
    assert "very-secret" not in result.stdout and "(set, hidden)" in lines["ANTIGRAVITY_ACCESS_TOKEN"]
    assert lines["ANTIGRAVITY_ACCESS_TOKEN"].endswith("[environment]")
    assert (
        "claude-sonnet-4-6" in lines["ANTIGRAVITY_DEFAULT_MODEL"]
        and f"[file {config}]" in lines["ANTIGRAVITY_DEFAULT_MODEL"]
    )
    assert " 5 " in lines["ANTIGRAVITY_MAX_RETRIES"] and lines["ANTIGRAVITY_MAX_RETRIES"].endswith(
        "[environment]"
    )
    assert (
        lines["ANTIGRAVITY_CLIENT_VERSION"].endswith("[default]")
        and "2.9.1" in lines["ANTIGRAVITY_CLIENT_VERSION"]
    )
    assert "antigravity/hub/2.9.1" in result.stdout
