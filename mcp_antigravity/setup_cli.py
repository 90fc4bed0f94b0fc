"""``mcp-antigravity setup claude-desktop``: the entry Claude Desktop needs to launch this
installation, printed, or merged into its configuration with ``--write``.

A GUI app does not see the PATH of a shell, so the entry names this installation's program by
its absolute path. ``--write`` keeps every other server of the file, saves the file as it was
next to it first (``claude_desktop_config.json.<time>.bak``), writes atomically, and refuses
to touch a file it cannot read as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import Settings

NAME = "antigravity"


def add_parser(commands: Any, after: argparse.ArgumentParser) -> None:
    setup = commands.add_parser("setup", help="configure a client to launch this server", parents=[after])
    clients = setup.add_subparsers(dest="client", metavar="CLIENT", required=True)
    desktop = clients.add_parser(
        "claude-desktop", help="the Claude Desktop entry for this installation", parents=[after]
    )
    desktop.add_argument("--write", action="store_true", help="merge it into Claude Desktop's configuration")
    desktop.add_argument(
        "--claude-config",
        type=Path,
        help="that configuration file (default: Claude Desktop's own for this OS)",
    )
    desktop.add_argument("--name", default=NAME, help=f"the server's name in Claude Desktop (default {NAME})")


def claude_config_path() -> Path:
    """Where Claude Desktop keeps its configuration on this platform."""
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "Claude" / "claude_desktop_config.json"
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", Path.home())) / "Claude" / "claude_desktop_config.json"
    return (
        Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config"))
        / "Claude"
        / "claude_desktop_config.json"
    )


def entry(config_file: Path | None) -> dict[str, Any]:
    """This installation's entry: its program by absolute path (else this Python running the
    package), ``serve``, and the configuration file in use (no secret goes into the entry)."""
    program = shutil.which("mcp-antigravity", path=str(Path(sys.executable).parent))
    command, args = (program, ["serve"]) if program else (sys.executable, ["-m", "mcp_antigravity", "serve"])
    server: dict[str, Any] = {"command": str(Path(command).resolve()) if program else command, "args": args}
    if config_file is not None:
        server["env"] = {"ANTIGRAVITY_CONFIG_FILE": str(config_file.resolve())}
    return server


def run(settings: Settings, args: argparse.Namespace) -> int:
    from .config import config_path
    from .files import write_private

    server = entry(config_path(getattr(args, "config", None)))
    if settings.oauth_client_id and "ANTIGRAVITY_OAUTH_CLIENT_ID" in os.environ:
        print(
            "Note: your OAuth client is set in this shell's environment, which Claude Desktop does not see; "
            "put oauth_client_id and oauth_client_secret in the config file (or in the entry's env) so the "
            "server can renew the stored accounts' tokens.",
            file=sys.stderr,
        )
    if not args.write:
        print(json.dumps({"mcpServers": {args.name: server}}, indent=2))
        print(
            f"Add this to {claude_config_path()} (or run `mcp-antigravity setup claude-desktop --write`), "
            "then restart Claude Desktop.",
            file=sys.stderr,
        )
        return 0
    target: Path = args.claude_config or claude_config_path()
    current: dict[str, Any] = {}
    if target.exists():
        try:
            loaded = json.loads(target.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError) as exc:
            print(
                f"Cannot read {target} as JSON ({exc}); fix it first, nothing was changed.", file=sys.stderr
            )
            return 2
        if not isinstance(loaded, dict) or not isinstance(loaded.get("mcpServers", {}), dict):
            print(f"{target} is not a Claude Desktop configuration; nothing was changed.", file=sys.stderr)
            return 2
        current = loaded
        backup = target.with_name(f"{target.name}.{time.strftime('%Y%m%d-%H%M%S')}.bak")
        shutil.copy2(target, backup)
        print(f"Saved the previous configuration as {backup}.", file=sys.stderr)
    current.setdefault("mcpServers", {})[args.name] = server
    write_private(target.parent, target.name, (json.dumps(current, indent=2) + "\n").encode())
    print(
        f"Claude Desktop will launch {server['command']} as {args.name!r}: restart it to load the change.",
        file=sys.stderr,
    )
    return 0
