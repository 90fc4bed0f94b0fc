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
    assert (
        "ignoring ANTIGRAVITY_ENDPOINT: no such setting (did you mean ANTIGRAVITY_ENDPOINTS?)"
        in result.stderr
    )


def test_a_setting_far_from_any_gets_no_guess() -> None:
    result = run_cli("config", env={"ANTIGRAVITY_WHATEVER_THIS_IS": "1"})
    assert (
        "ignoring ANTIGRAVITY_WHATEVER_THIS_IS: no such setting (see the configuration reference"
        in result.stderr
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single line a startup mistake prints (and exit status 2, no traceback)."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli(
            "serve",
            "--transport",
            "streamable-http",
            "--port",
            str(port),
            env={"ANTIGRAVITY_DATA_DIR": str(tmp_path)},
        )
    assert one_line(result) == (
        f"Cannot listen on 127.0.0.1:{port}: the address is in use (another process listens there); pick another --port."
    )


@pytest.mark.parametrize("port", ["70000", "-1"])
def test_a_port_out_of_range_is_one_line(tmp_path: Path, port: str) -> None:
    result = run_cli(
        "serve", "--transport", "streamable-http", "--port", port, env={"ANTIGRAVITY_DATA_DIR": str(tmp_path)}
    )
    assert (
        one_line(result)
        == f"Cannot listen on port {port}: a port is a number from 0 to 65535 (0: any free one)."
    )


def test_an_unwritable_data_directory_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = run_cli("serve", env={"ANTIGRAVITY_DATA_DIR": str(blocker / "data")})
    assert one_line(result).startswith(f"Cannot write the data directory {blocker / 'data'}: ")
    assert "Set ANTIGRAVITY_DATA_DIR" in result.stderr


def test_an_invalid_config_file_is_one_line_wherever_config_is_given(tmp_path: Path) -> None:
    broken = tmp_path / "config.toml"
    broken.write_text("default_model = \n")
    before = run_cli("--config", str(broken), "serve")
    after = run_cli("serve", "--config", str(broken))
    assert one_line(before) == one_line(after)
    assert one_line(after).startswith(f"Cannot read configuration file {broken}: ")


def test_config_after_the_command_is_used(tmp_path: Path) -> None:
    chosen = tmp_path / "config.toml"
    chosen.write_text('default_model = "claude-sonnet-4-6"\n')
    result = run_cli("config", "--config", str(chosen))
    assert result.returncode == 0 and f"configuration file: {chosen}" in result.stdout
    assert "claude-sonnet-4-6" in result.stdout


def test_missing_config_file_is_reported() -> None:
    result = run_cli("--config", "/nonexistent.toml", "serve")
    assert result.returncode == 2 and "/nonexistent.toml does not exist" in result.stderr


def test_exposed_http_without_a_token_refuses_to_start() -> None:
    result = run_cli("serve", "--transport", "streamable-http", "--host", "0.0.0.0", "--port", "0")
    assert result.returncode == 2
    assert "Refusing to listen on 0.0.0.0 without authentication: set ANTIGRAVITY_HTTP_TOKEN" in result.stderr


def test_setup_prints_an_entry_a_gui_app_can_launch(tmp_path: Path) -> None:
    import json

    result = run_cli("setup", "claude-desktop", env={"HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    server = json.loads(result.stdout)["mcpServers"]["antigravity"]
    command = Path(server["command"])
    assert command.is_absolute() and os.access(command, os.X_OK)  # no PATH needed
    launched = subprocess.run(
        [str(command), *server["args"][:-1], "--version"], capture_output=True, text=True
    )
    assert launched.returncode == 0 and "mcp-antigravity" in launched.stdout


def test_setup_warns_when_the_oauth_client_lives_only_in_the_shell(tmp_path: Path) -> None:
    result = run_cli(
        "setup", "claude-desktop", env={"HOME": str(tmp_path), "ANTIGRAVITY_OAUTH_CLIENT_ID": "cid.apps"}
    )
    assert result.returncode == 0 and "Claude Desktop does not see" in result.stderr


def test_setup_write_merges_keeps_a_backup_and_refuses_a_broken_file(tmp_path: Path) -> None:
    import json

    target = tmp_path / "Claude" / "claude_desktop_config.json"
    target.parent.mkdir()
    target.write_text(json.dumps({"mcpServers": {"other": {"command": "/bin/other"}}, "theme": "dark"}))
    written = run_cli("setup", "claude-desktop", "--write", "--claude-config", str(target))
    assert written.returncode == 0, written.stderr
    merged = json.loads(target.read_text())
    assert merged["theme"] == "dark" and merged["mcpServers"]["other"] == {"command": "/bin/other"}
    assert Path(merged["mcpServers"]["antigravity"]["command"]).is_absolute()
    [backup] = list(target.parent.glob("claude_desktop_config.json.*.bak"))
    assert json.loads(backup.read_text())["mcpServers"] == {"other": {"command": "/bin/other"}}

    target.write_text("{ broken")
    refused = run_cli("setup", "claude-desktop", "--write", "--claude-config", str(target))
    assert refused.returncode == 2 and "nothing was changed" in refused.stderr
    assert target.read_text() == "{ broken"
