"""The test suite never touches the user's data, config or environment.

A child pytest runs a module that builds its server in a module-scoped fixture (the kind
that used to run before per-test isolation applied) as a user whose data directory holds
conversations, whose config file and ANTIGRAVITY_* variables would break the tests if read.
The child passes, and the user's files are exactly as they were.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def snapshot(folder: Path) -> dict[str, tuple[int, int, str]]:
    """Every file under ``folder``: size, modification time and content digest."""
    return {
        str(path.relative_to(folder)): (
            path.stat().st_size,
            path.stat().st_mtime_ns,
            hashlib.sha256(path.read_bytes()).hexdigest(),
        )
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_a_test_run_leaves_the_users_data_config_and_environment_alone(tmp_path: Path) -> None:
    home = tmp_path / "user"
    data = home / ".local" / "share"
    config = home / ".config"
    real_data = data / "mcp-antigravity"
    real_data.mkdir(parents=True)
    with sqlite3.connect(real_data / "sessions.sqlite3") as db:
        db.execute("CREATE TABLE sessions (id TEXT PRIMARY KEY)")
        db.execute("INSERT INTO sessions VALUES ('s_the_users_own')")
    (real_data / "credentials.json").write_text('{"refresh_token": "the-users-own"}')
    (config / "mcp-antigravity").mkdir(parents=True)
    (config / "mcp-antigravity" / "config.toml").write_text('endpoints = ["http://203.0.113.9"]\n')
    before = snapshot(home)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTIGRAVITY_", "XDG_"))}
    env |= {
        "HOME": str(home),
        "XDG_DATA_HOME": str(data),
        "XDG_CONFIG_HOME": str(config),
        # a developer's own settings, which used to leak into module-scoped servers
        "ANTIGRAVITY_REFRESH_TOKEN": "x",
        "ANTIGRAVITY_DATA_DIR": str(real_data),
        "ANTIGRAVITY_ENDPOINTS": "http://203.0.113.9",
    }
    child = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "tests/tools/test_corpus.py",
            "-k",
            "all_tools or server-memory",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == 0, child.stdout[-3000:] + child.stderr[-3000:]
    assert " passed" in child.stdout
    assert snapshot(home) == before
