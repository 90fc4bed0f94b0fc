"""The command line: the demo, configuration errors, the emulator command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ANTIGRAVITY_")}
    return subprocess.run(
        [sys.executable, "-m", "mcp_antigravity", *args],
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_demo_calls_every_tool_and_exits_0() -> None:
    result = run_cli("demo")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "tools listed: chat, web_search, web_reader, vision, image_generate, transcribe" in result.stdout
    for tool in ("chat", "web_search", "web_reader", "vision", "image_generate", "transcribe"):
        assert f"ok   {tool} [" in result.stdout
    assert "[image 1: png 64x48]" in result.stdout  # the demo image reached the model intact
    assert "6/6 tool calls succeeded" in result.stdout
    # two accounts: the first runs out of gemini-3-flash mid-way, the calls move to the second
    assert "account first@demo.example: answered 4 call(s), refused 1 (quota)" in result.stdout
    assert "account second@demo.example: answered 1 call(s)" in result.stdout


def test_demo_ignores_the_users_configuration(tmp_path: Path) -> None:
    broken = tmp_path / "config.toml"
    broken.write_text('default_model = "no-such-model"\n')
    result = run_cli(
        "demo", env={"ANTIGRAVITY_CONFIG_FILE": str(broken), "ANTIGRAVITY_DEFAULT_MODEL": "nope"}
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("command", ["serve", "emulator", "demo"])
def test_invalid_configuration_names_the_setting(command: str) -> None:
    result = run_cli(command, env={"ANTIGRAVITY_ENDPOINTS": "not a url"})
    assert result.returncode == 2
    assert "Invalid configuration" in result.stderr and "ANTIGRAVITY_ENDPOINTS" in result.stderr
    assert "Traceback" not in result.stderr


def test_emulator_rejects_a_bad_account() -> None:
    result = run_cli(
        "emulator", "--port", "0", "--account", "email=b@x,token=t,refresh=r,project=p,state=asleep"
    )
    assert result.returncode == 2 and "state must be ok, verify or suspended" in result.stderr
    assert "Traceback" not in result.stderr


def test_emulator_rejects_a_bad_fault() -> None:
    result = run_cli("emulator", "--port", "0", "--fault", "rate_limit:volume=11")
    assert result.returncode == 2 and "unknown option 'volume'" in result.stderr


def test_misspelled_setting_is_warned_about() -> None:
    result = run_cli("emulator", "--fault", "nothing", env={"ANTIGRAVITY_ENDPOINT": "http://x"})
    assert "ignoring ANTIGRAVITY_ENDPOINT: no such setting" in result.stderr


def test_missing_config_file_is_reported() -> None:
    result = run_cli("--config", "/nonexistent.toml", "serve")
    assert result.returncode == 2 and "/nonexistent.toml does not exist" in result.stderr


def test_exposed_http_without_a_token_refuses_to_start() -> None:
    result = run_cli("serve", "--transport", "streamable-http", "--host", "0.0.0.0", "--port", "0")
    assert result.returncode == 2
    assert "Refusing to listen on 0.0.0.0 without authentication: set ANTIGRAVITY_HTTP_TOKEN" in result.stderr
