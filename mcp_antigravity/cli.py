"""Command line: arguments → settings → one action (serve, emulator, login, models, config, demo)."""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from . import accounts_cli, setup_cli
from ._version import __version__

if TYPE_CHECKING:  # imported when a command runs, so `--version` and `--help` load almost nothing
    from .config import Settings

log = logging.getLogger("mcp_antigravity")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mcp-antigravity",
        description="MCP server for Google's Antigravity gateway, with a strict offline emulator.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--config",
        type=Path,
        help="TOML configuration file (default: ANTIGRAVITY_CONFIG_FILE, "
        "then config.toml in the user config directory)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    # --config may also come after the command; there it overrides nothing unless given
    after = argparse.ArgumentParser(add_help=False)
    after.add_argument("--config", type=Path, default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    serve = commands.add_parser("serve", help="run the MCP server (stdio by default)", parents=[after])
    serve.add_argument("--transport", choices=["stdio", "streamable-http", "sse"], default="stdio")
    serve.add_argument("--host", default="127.0.0.1", help="HTTP transports: address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="HTTP transports: port to listen on")
    serve.add_argument(
        "--allow-unauthenticated",
        action="store_true",
        help="listen beyond loopback without ANTIGRAVITY_HTTP_TOKEN (only behind an authenticating proxy)",
    )
    serve.add_argument(
        "--stateless",
        action="store_true",
        help="streamable HTTP without MCP sessions: every request on its own, for replicas behind a load balancer",
    )
    serve.add_argument(
        "--resumable",
        action="store_true",
        help="streamable HTTP: keep each stream's events a while, so a client that reconnects gets what it missed",
    )
    serve.add_argument(
        "--emulator",
        action="store_true",
        help="answer from an in-process emulator instead of the real upstream (no account needed)",
    )

    emulator = commands.add_parser(
        "emulator", help="run the Antigravity emulator on its own", parents=[after]
    )
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=8765)
    emulator.add_argument(
        "--token",
        help="the bearer token it accepts (default: ANTIGRAVITY_ACCESS_TOKEN, else 'emulator-token')",
    )
    emulator.add_argument("--project", default="emulator-project", help="the account's project id")
    emulator.add_argument("--email", default="user@example.com", help="the email of --token's account")
    emulator.add_argument(
        "--account",
        action="append",
        default=[],
        metavar="SPEC",
        help="one more account, e.g. email=b@x,token=T,refresh=R,project=P,quota=gemini-3-flash:50 "
        "(repeatable; see docs/emulator.md)",
    )
    emulator.add_argument(
        "--min-client-version",
        help="older antigravity/hub/<version> User-Agents are refused as outdated (default 2.0.0)",
    )
    emulator.add_argument(
        "--hub-floor", help="below this version the newest models answer 404, as upstream (default 2.9.0)"
    )
    emulator.add_argument(
        "--signing-key",
        default="emulator-signing-key",
        help="key of the thought signatures it issues (keep it to keep old signatures valid)",
    )
    emulator.add_argument(
        "--onboarding", action="store_true", help="the account has no project until onboardUser completes"
    )
    emulator.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="inject a fault, e.g. rate_limit:after=2,retry_delay=3s (repeatable; see docs/emulator.md)",
    )

    login = commands.add_parser(
        "login",
        help="log in with Google (OAuth with PKCE) and store the account (as `accounts add`)",
        parents=[after],
    )
    accounts_cli.login_options(login)
    accounts_cli.add_parser(commands, after)
    setup_cli.add_parser(commands, after)

    models = commands.add_parser(
        "models", help="the models the upstream offers this account, with their quota", parents=[after]
    )
    models.add_argument("--json", action="store_true", help="print JSON instead of a table")
    commands.add_parser(
        "config",
        help="print the effective settings and where each came from (secrets hidden)",
        parents=[after],
    )

    commands.add_parser("demo", help="run the emulator, the server and a real MCP client; call every tool")
    return parser


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)
    if args.command is None:  # plain `mcp-antigravity` serves over stdio
        args = _parser().parse_args([*argv, "serve"])
    import anyio

    from .accounts import AccountsFile
    from .config import ConfigError, closest_setting, load_settings, unknown_environment_names

    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for name in unknown_environment_names():
        meant = closest_setting(name)
        hint = f"did you mean {meant}?" if meant else "see the configuration reference in the README"
        log.warning("ignoring %s: no such setting (%s)", name, hint)

    if args.command == "serve":
        return _serve(settings, args)
    if args.command == "login":
        return accounts_cli.add(settings, AccountsFile(settings.accounts_path), args)
    if args.command in ("accounts", "quota"):
        return accounts_cli.run(settings, args)
    if args.command == "setup":
        return setup_cli.run(settings, args)
    if args.command == "emulator":
        return _emulator(settings, args)
    if args.command == "models":
        return anyio.run(_models, settings, args.json)
    if args.command == "config":
        return _config(settings, args)
    from .demo import run_demo

    return anyio.run(run_demo)


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import anyio

    from .server.transports import serve

    if (args.stateless or args.resumable) and args.transport != "streamable-http":
        print("--stateless and --resumable are for --transport streamable-http.", file=sys.stderr)
        return 2
    if args.stateless and args.resumable:
        print("--resumable needs MCP sessions, which --stateless does without; choose one.", file=sys.stderr)
        return 2
    exposed = args.transport != "stdio" and not _is_loopback(args.host)
    if exposed and settings.http_token is None and settings.http_tokens_file is None:
        if not args.allow_unauthenticated:
            print(
                f"Refusing to listen on {args.host} without authentication: set ANTIGRAVITY_HTTP_TOKEN (callers then "
                "send Authorization: Bearer <token>), or pass --allow-unauthenticated behind an authenticating proxy.",
                file=sys.stderr,
            )
            return 2
        log.warning("listening on %s without authentication (--allow-unauthenticated)", args.host)
    if args.transport != "stdio" and settings.http_tokens_file is not None:
        from .server.httpauth import CallersFileError, read_callers

        try:
            read_callers(settings.http_tokens_file)
        except CallersFileError as exc:
            print(exc, file=sys.stderr)
            return 2

    async def run() -> None:
        async with contextlib.AsyncExitStack() as stack:
            served = (
                await stack.enter_async_context(_against_emulator(settings)) if args.emulator else settings
            )
            await serve(
                served,
                args.transport,
                host=args.host,
                port=args.port,
                stateless=args.stateless,
                resumable=args.resumable,
            )

    problem = _unwritable(settings.sessions_path.parent) or _unreachable_store(settings)
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    from ._serving import ListenError

    try:
        with contextlib.suppress(KeyboardInterrupt):
            anyio.run(run)
    except ListenError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


def _unreachable_store(settings: Settings) -> str | None:
    """Why the shared store the settings name cannot be used, or ``None`` (also without one)."""
    if settings.store is None:
        return None
    import anyio

    from .storage.redis import StoreError, connect

    async def check() -> None:
        connection = await connect(settings)
        await connection.close()
        log.info("the store is %s", connection.where)

    try:
        anyio.run(check)
    except StoreError as exc:
        return str(exc)
    return None


def _unwritable(folder: Path) -> str | None:
    """Why the data directory cannot hold the server's files, or ``None`` when it can."""
    import tempfile

    from .files import private_directory

    try:
        private_directory(folder)
        with tempfile.TemporaryFile(dir=folder):
            return None
    except OSError as exc:
        return (
            f"Cannot write the data directory {folder}: {exc.strerror or exc}. Set ANTIGRAVITY_DATA_DIR "
            "to a folder you can write."
        )


@contextlib.asynccontextmanager
async def _against_emulator(settings: Settings) -> AsyncIterator[Settings]:
    """``serve --emulator``: an in-process emulator, and the settings that point the server at it."""
    from urllib.parse import urlsplit

    from pydantic import SecretStr

    from .emulator import EmulatorConfig, running_emulator

    token = "emulator-token"  # noqa: S105 - accepted only by this emulator
    async with running_emulator(EmulatorConfig(token=token)) as (instance, url):
        log.warning("serving against the in-process emulator at %s (no account needed)", url)
        yield settings.model_copy(
            update={
                "endpoints": [url],
                "discovery_endpoints": None,
                "access_token": SecretStr(token),
                "project": instance.config.project,
                # pretend conversations and pictures stay apart from real ones
                "data_dir": settings.sessions_path.parent / "emulator",
                "output_dir": settings.sessions_path.parent / "emulator" / "images",
                "store_namespace": settings.store_namespace + "-emulator",
                # its search answers link to its own redirect host: let web_search resolve them
                "fetch_allow": [*settings.fetch_allow, urlsplit(url).netloc],
            }
        )


def _emulator(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from .emulator import Emulator, EmulatorConfig, FaultSpecError, parse_fault
    from .emulator.accounts import parse_account

    try:
        faults = [parse_fault(spec) for spec in args.fault]
    except FaultSpecError as exc:
        print(f"--fault: {exc}", file=sys.stderr)
        return 2
    try:
        accounts = [parse_account(spec) for spec in args.account]
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    token = args.token or (
        settings.access_token.get_secret_value() if settings.access_token else "emulator-token"
    )
    floors = {
        name: value
        for name, value in (("min_client_version", args.min_client_version), ("hub_floor", args.hub_floor))
        if value is not None
    }
    config = EmulatorConfig(
        token=token,
        project=args.project,
        **floors,
        onboarding=args.onboarding,
        signing_key=args.signing_key,
        faults=faults,
        email=args.email,
        accounts=accounts,
    )
    if not _is_loopback(args.host):
        log.warning("the emulator is listening on %s, beyond this machine", args.host)
    print(
        f"Antigravity emulator on http://{args.host}:{args.port} (project {config.project}); "
        f"point the server at it with ANTIGRAVITY_ENDPOINTS=http://{args.host}:{args.port} "
        "and ANTIGRAVITY_ACCESS_TOKEN set to the --token value",
        file=sys.stderr,
    )
    uvicorn.run(Emulator(config).app, host=args.host, port=args.port, log_level=settings.log_level.lower())
    return 0


def _config(settings: Settings, args: argparse.Namespace) -> int:
    from .config import config_path, describe_settings

    path = config_path(args.config)
    rows = describe_settings(settings, path)
    width = max(len(variable) for variable, _, _ in rows)
    print(f"configuration file: {path or '(none)'}")
    for variable, value, source in rows:
        print(f"{variable:<{width}}  {value}  [{source}]")
    print(f"{'User-Agent':<{width}}  {settings.effective_user_agent}  [derived]")
    print(f"{'sessions':<{width}}  {settings.sessions_path}  [derived]")
    print(f"{'accounts':<{width}}  {settings.accounts_path}  [derived]")
    return 0


async def _models(settings: Settings, as_json: bool) -> int:
    import json

    from .antigravity import AntigravityClient, open_http_client
    from .antigravity.models import describe

    async with open_http_client(settings) as http:
        available = await AntigravityClient(settings, http).available_models(refresh=True)
    view = describe(available)
    if as_json:
        print(json.dumps(view, indent=1))
        return 0 if available is not None else 1
    print(f"source: {view['source']}")
    for model in view["models"]:
        fraction = model.get("remaining_fraction")
        quota = (
            ""
            if fraction is None
            else f"  quota {fraction:.0%}"
            + (f", resets {model['reset_time']}" if model.get("reset_time") else "")
        )
        limit = f"  max out {model['max_output_tokens']}" if model.get("max_output_tokens") else ""
        print(f"{model['id']:<32} {model.get('display_name') or '':<30}{limit}{quota}")
    for old, new in view["deprecated"].items():
        print(f"{old:<32} retired: use {new}")
    return 0 if available is not None else 1
