"""Every setting of mcp-antigravity, in one place.

Values come from, highest priority first: keyword arguments, environment variables
(prefix ``ANTIGRAVITY_``), an optional TOML file, and the defaults below. The TOML file is
``ANTIGRAVITY_CONFIG_FILE`` (or ``--config``); without one, ``config.toml`` in the
platform's user config directory is read when it exists. TOML keys are the field names
(``default_model = "gemini-3-flash"``). This is the only module that reads the environment.
"""

from __future__ import annotations

import os
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import platformdirs
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

ENV_PREFIX = "ANTIGRAVITY_"
APP_NAME = "mcp-antigravity"

DAILY_ENDPOINT = "https://daily-cloudcode-pa.googleapis.com"
PROD_ENDPOINT = "https://cloudcode-pa.googleapis.com"
DEFAULT_PROJECT = "rising-fact-p41fc"
DEFAULT_CLIENT_VERSION = "2.9.1"
"""The floor the upstream accepted in late 2026; the updater manifest may announce a newer one."""
UPDATER_MANIFEST_URL = (
    "https://antigravity-hub-auto-updater-974169037036.us-central1.run.app/manifest/latest-arm64-mac.yml"
)

_config_file: ContextVar[Path | None] = ContextVar("_config_file", default=None)


class ConfigError(Exception):
    """The configuration cannot be used; the message names the setting and the fix."""


def _split_list(value: Any) -> Any:
    """Accept ``"a, b"`` from the environment as well as real lists from TOML or code."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    """Configuration of the server, the Antigravity client and its retry policy."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="forbid",
        frozen=True,
        validate_default=True,
    )

    # --- upstream ---------------------------------------------------------------------
    endpoints: Annotated[list[str], NoDecode] = Field(
        default=[DAILY_ENDPOINT, PROD_ENDPOINT],
        description="Base URLs for generation, in fallback order (comma-separated in the environment).",
    )
    discovery_endpoints: Annotated[list[str] | None, NoDecode] = Field(
        default=None,
        description="Base URLs for project discovery; default: the generation endpoints in reverse order.",
    )
    access_token: SecretStr | None = Field(
        default=None, description="Static OAuth bearer token; skips the OAuth flow (CI, power users)."
    )
    refresh_token: SecretStr | None = Field(
        default=None,
        description="OAuth refresh token; access tokens are then fetched and renewed automatically.",
    )
    oauth_client_id: str | None = Field(
        default=None, description="OAuth client id that issued the refresh token."
    )
    oauth_client_secret: SecretStr | None = Field(default=None, description="Its client secret.")
    oauth_token_url: str = Field(
        default="https://oauth2.googleapis.com/token", description="OAuth token endpoint."
    )
    oauth_auth_url: str = Field(
        default="https://accounts.google.com/o/oauth2/v2/auth", description="OAuth consent page, for login."
    )
    oauth_userinfo_url: str = Field(
        default="https://www.googleapis.com/oauth2/v1/userinfo?alt=json",
        description="OAuth user-info endpoint: the email an added account is stored under.",
    )
    account_strategy: Literal["quota-first", "sticky", "round-robin"] = Field(
        default="quota-first",
        description="How new calls pick among stored accounts (a conversation keeps its account).",
    )
    project: str | None = Field(default=None, description="Google Cloud project id; skips project discovery.")
    fallback_project: str = Field(
        default=DEFAULT_PROJECT, description="Project used when discovery finds none."
    )
    default_model: str = Field(default="gemini-3-flash", min_length=1)
    client_version: str = Field(
        default=DEFAULT_CLIENT_VERSION,
        pattern=r"^\d+(\.\d+){1,3}$",
        description="Antigravity client version sent in User-Agent (a floor when discovery is on); "
        "the upstream refuses outdated ones.",
    )
    user_agent: str | None = Field(
        default=None,
        description="Full User-Agent override; default 'antigravity/hub/<version> <os>/<arch>'.",
    )
    client_version_discovery: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="Read the current version from the updater manifest: auto = only when generating "
        "against Google's hosts.",
    )
    client_version_manifest_url: str | None = Field(
        default=UPDATER_MANIFEST_URL, description="The Antigravity updater manifest with the current version."
    )
    client_version_ttl_hours: float = Field(
        default=6.0, gt=0, description="Hours a version read from the manifest is kept."
    )

    # --- time and retries ---------------------------------------------------------------
    connect_timeout: float = Field(default=10.0, gt=0, description="Seconds to open a connection.")
    read_timeout: float = Field(default=120.0, gt=0, description="Seconds to wait for the next bytes.")
    progress_heartbeat: float = Field(
        default=5.0,
        gt=0,
        le=10,
        description="Seconds without news after which a long call tells the caller it is still waiting.",
    )
    request_deadline: float = Field(
        default=300.0, gt=0, description="Overall seconds for one call, retries and fallback included."
    )
    max_retries: int = Field(default=3, ge=0, le=20, description="Retries after the first attempt.")
    max_retry_delay: float = Field(
        default=30.0, ge=0, description="Longest server-requested delay honoured; longer ones fail fast."
    )
    backoff_initial: float = Field(default=0.5, ge=0, description="First backoff delay in seconds.")
    backoff_max: float = Field(default=8.0, ge=0, description="Largest backoff delay in seconds.")
    model_catalog_ttl: float = Field(
        default=900.0,
        gt=0,
        description="Seconds the upstream's model catalog (fetchAvailableModels) is kept.",
    )
    onboard_poll_attempts: int = Field(default=10, ge=1, le=100)
    onboard_poll_interval: float = Field(default=5.0, ge=0)

    # --- sessions -------------------------------------------------------------------------
    data_dir: Path | None = Field(
        default=None, description="Where sessions are stored; default: the platform's user data directory."
    )
    session_max_count: int = Field(
        default=200, ge=1, description="Sessions kept; the least recently used go."
    )
    session_max_age_days: float = Field(
        default=30.0, gt=0, description="Sessions unused this long are deleted."
    )
    session_max_turns: int = Field(
        default=200, ge=2, description="Turns kept per session; the oldest go first."
    )
    signature_cache_size: int = Field(
        default=5000, ge=0, description="Thought signatures kept, all sessions."
    )
    signature_ttl_hours: float = Field(
        default=168.0, gt=0, description="Thought signatures older than this are not sent."
    )
    store: SecretStr | None = Field(
        default=None,
        description="Where sessions, account state and saved images live: unset (or sqlite) for the SQLite "
        "file in the data directory; redis://host:port/db (rediss:// for TLS) for a Redis or Valkey that "
        "several replicas share.",
    )
    store_password: SecretStr | None = Field(
        default=None, description="The Redis password, when it is not in ANTIGRAVITY_STORE."
    )
    store_namespace: str = Field(
        default="mcp-antigravity",
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="Prefix of every Redis key (one Redis may serve several deployments).",
    )
    session_lock_ttl: float = Field(
        default=15.0,
        ge=1,
        description="Seconds a session's lock outlives its holder (renewed while a call runs): how long a "
        "replica that died mid-call keeps its session's next call waiting.",
    )

    # --- media and fetching ----------------------------------------------------------------
    fetch_allow: Annotated[list[str], NoDecode] = Field(
        default=[], description="Host names and CIDR networks that may be fetched although internal."
    )
    file_roots: Annotated[list[Path], NoDecode] = Field(
        default=[], description="Folders local media may be read from (required for callers over HTTP)."
    )
    media_max_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1024, description="Largest media file, in bytes."
    )
    http_max_body_bytes: int | None = Field(
        default=None,
        gt=0,
        description="Largest HTTP request body; default: room for the largest media file as base64.",
    )
    fetch_timeout: float = Field(
        default=30.0, gt=0, description="Seconds for one URL fetch, redirects included."
    )
    max_connections: int = Field(
        default=1024,
        ge=1,
        le=8192,
        description="Connections to the upstream open at once (each streaming call holds one).",
    )
    fetch_max_connections: int = Field(
        default=16,
        ge=1,
        le=1024,
        description="Connections open at once for fetching callers' URLs (a pool apart from the upstream's).",
    )
    vision_model: str = Field(default="gemini-3-flash", min_length=1)
    max_images: int = Field(default=8, ge=1, le=64, description="Images per vision call.")
    transcribe_model: str = Field(default="gemini-3-flash", min_length=1)
    image_model: str = Field(default="gemini-3.1-flash-image", min_length=1)
    search_model: str = Field(default="gemini-3-flash", min_length=1)
    resolve_search_links: bool = Field(
        default=True,
        description="Replace the upstream's expiring redirect links in search sources by their targets.",
    )
    reader_model: str = Field(default="gemini-3-flash", min_length=1)
    respect_robots: bool = Field(
        default=True, description="web_reader obeys robots.txt when fetching directly."
    )
    reader_user_agent: str = Field(
        default="mcp-antigravity",
        min_length=1,
        description="Product token web_reader sends and looks for in robots.txt.",
    )
    output_dir: Path | None = Field(
        default=None,
        description="Where generated images too large to return inline are saved; default: "
        "the 'images' folder in the user data directory.",
    )
    inline_result_limit: int = Field(
        default=900_000,
        ge=0,
        description="Largest total of inline image data (base64 bytes) in one result; "
        "more is saved to files and linked. The default keeps results under 1 MB.",
    )

    # --- server ---------------------------------------------------------------------------
    http_token: SecretStr | None = Field(
        default=None,
        description="Bearer token the HTTP transports require; needed to listen beyond loopback.",
    )
    http_tokens_file: Path | None = Field(
        default=None,
        description='TOML file of HTTP callers (name = "token", 16+ characters each); each caller sees only '
        "its own sessions and images.",
    )
    http_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="Host names (optionally with :port) the HTTP server answers to, for DNS-rebinding protection "
        "behind a domain; loopback names are always allowed on a loopback bind.",
    )
    http_header_timeout: float = Field(
        default=10.0, gt=0, description="Seconds a client has to send a request's headers (then 408)."
    )
    http_body_timeout: float = Field(
        default=60.0,
        gt=0,
        description="Seconds a client has to send a request's body once its headers are in.",
    )
    http_keep_alive_timeout: int = Field(
        default=5, ge=1, description="Seconds an idle kept-alive connection stays open."
    )
    http_max_connections: int = Field(
        default=512,
        ge=1,
        description="Open connections; at the limit a new one replaces the oldest idle or slow one.",
    )
    http_max_concurrent_requests: int = Field(
        default=256, ge=1, description="HTTP requests in progress at once (open streams count); then 503."
    )
    http_max_sessions: int = Field(
        default=1000,
        ge=1,
        description="MCP sessions (streamable HTTP); at the limit a new one ends the idle session that did least.",
    )
    http_session_idle_timeout: float = Field(
        default=1800.0, gt=0, description="Seconds an MCP session may stay idle before it is ended."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"

    @field_validator("http_token")
    @classmethod
    def _check_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().strip()) < 16:
            raise ValueError(
                "must be at least 16 characters (a blank or short token is easy to guess); make one with "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return value

    @field_validator("store")
    @classmethod
    def _check_store(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or value.get_secret_value().strip().lower() in ("", "sqlite"):
            return None
        from urllib.parse import parse_qs, urlsplit

        parts = urlsplit(value.get_secret_value().strip())
        if parts.scheme not in ("redis", "rediss") or not parts.hostname:
            raise ValueError(
                "must be redis://host:port/db or rediss://host:port/db (TLS); leave it unset for the SQLite file"
            )
        options = {k.lower(): v[-1].lower() for k, v in parse_qs(parts.query).items()}
        if options.get("ssl_cert_reqs", "required") != "required" or options.get("ssl_check_hostname") in (
            "false",
            "0",
            "no",
        ):
            raise ValueError(
                "must not turn off the TLS certificate or host name check; give a private CA with "
                "?ssl_ca_certs=/path/ca.pem instead"
            )
        return SecretStr(value.get_secret_value().strip())

    @field_validator("fetch_allow", "file_roots", "http_allowed_hosts", mode="before")
    @classmethod
    def _parse_plain_list(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("fetch_allow")
    @classmethod
    def _check_allow(cls, value: list[str]) -> list[str]:
        from .web.netpolicy import FetchPolicy

        FetchPolicy.parse(value)  # raises ValueError naming the bad entry
        return value

    @field_validator("endpoints", "discovery_endpoints", mode="before")
    @classmethod
    def _parse_list(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("endpoints", "discovery_endpoints")
    @classmethod
    def _check_urls(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("give at least one base URL, e.g. https://cloudcode-pa.googleapis.com")
        cleaned = []
        for url in value:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(
                    f"{url!r} is not an http(s) base URL like https://cloudcode-pa.googleapis.com"
                )
            if parts.query or parts.fragment:
                raise ValueError(f"{url!r}: a base URL has no query or fragment")
            cleaned.append(url.rstrip("/"))
        return cleaned

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check_backoff(self) -> Settings:
        if self.backoff_max < self.backoff_initial:
            raise ValueError("backoff_max must be at least backoff_initial")
        if self.refresh_token is not None and not (self.oauth_client_id and self.oauth_client_secret):
            raise ValueError(
                "ANTIGRAVITY_REFRESH_TOKEN needs ANTIGRAVITY_OAUTH_CLIENT_ID and ANTIGRAVITY_OAUTH_CLIENT_SECRET "
                "(the OAuth client that issued it)"
            )
        return self

    @property
    def effective_user_agent(self) -> str:
        """The User-Agent with the configured version (discovery may raise it at run time)."""
        from .antigravity.identity import user_agent

        return self.user_agent or user_agent(self.client_version)

    @property
    def images_path(self) -> Path:
        return self.output_dir or Path(platformdirs.user_data_dir(APP_NAME)) / "images"

    @property
    def credentials_path(self) -> Path:
        """Where ``mcp-antigravity login`` keeps the refresh token."""
        return (self.data_dir or Path(platformdirs.user_data_dir(APP_NAME))) / "credentials.json"

    @property
    def effective_http_max_body_bytes(self) -> int:
        """The HTTP body limit: as set, else the largest media file as base64 (4/3) plus 2 MiB of the
        rest of the call, so what the media tools take over stdio they take over HTTP too."""
        return self.http_max_body_bytes or self.media_max_bytes * 4 // 3 + 2 * 1024 * 1024

    @property
    def accounts_path(self) -> Path:
        """The accounts file (``mcp-antigravity accounts``)."""
        return (self.data_dir or Path(platformdirs.user_data_dir(APP_NAME))) / "accounts.json"

    @property
    def sessions_path(self) -> Path:
        return (self.data_dir or Path(platformdirs.user_data_dir(APP_NAME))) / "sessions.sqlite3"

    @property
    def effective_discovery_endpoints(self) -> list[str]:
        return self.discovery_endpoints or list(reversed(self.endpoints))

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_file.get()
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def _resolve_config_path(explicit: Path | None) -> Path | None:
    named = explicit or (Path(p) if (p := os.environ.get(f"{ENV_PREFIX}CONFIG_FILE")) else None)
    if named is not None:
        if not named.is_file():
            raise ConfigError(
                f"Configuration file {named} does not exist: fix {ENV_PREFIX}CONFIG_FILE / --config "
                "or create the file."
            )
        return named
    default = default_config_path()
    return default if default.is_file() else None


def _describe(error: ValidationError, path: Path | None) -> str:
    lines = ["Invalid configuration:"]
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else "?"
        if field in Settings.model_fields:
            where = f"{ENV_PREFIX}{field.upper()}"
            if path is not None:
                where += f" (or '{field}' in {path})"
        else:
            where = f"'{field}' in {path}" if path is not None else f"'{field}'"
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown setting; see the configuration reference in the README"
        lines.append(f"  {where}: {message}")
    return "\n".join(lines)


def known_environment_names() -> set[str]:
    return {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields} | {f"{ENV_PREFIX}CONFIG_FILE"}


def unknown_environment_names() -> list[str]:
    """``ANTIGRAVITY_*`` variables that name no setting (typos such as ``ANTIGRAVITY_ENDPOINT``)."""
    known = known_environment_names()
    return sorted(
        name for name in os.environ if name.upper().startswith(ENV_PREFIX) and name.upper() not in known
    )


def closest_setting(name: str) -> str | None:
    """The setting a misspelled variable most likely meant (``ANTIGRAVITY_DEFAULT_MODLE`` →
    ``ANTIGRAVITY_DEFAULT_MODEL``), or ``None`` when none is close."""
    import difflib

    close = difflib.get_close_matches(name.upper(), sorted(known_environment_names()), n=1, cutoff=0.8)
    return close[0] if close else None


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings from keyword overrides, the environment and the config file.

    Raises :class:`ConfigError` with a message that names each bad setting.
    """
    path = _resolve_config_path(config_file)
    token = _config_file.set(path)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path)) from None
    except ValueError as exc:  # unreadable TOML
        raise ConfigError(f"Cannot read configuration file {path}: {exc}") from None
    finally:
        _config_file.reset(token)


def config_path(explicit: Path | None = None) -> Path | None:
    """The TOML file settings are read from (``--config``, ``ANTIGRAVITY_CONFIG_FILE``, the default), if any."""
    return _resolve_config_path(explicit)


def _shown(value: Any) -> str:
    if isinstance(value, SecretStr):
        return "(set, hidden)" if value.get_secret_value() else "(empty)"
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value)


def describe_settings(settings: Settings, path: Path | None) -> list[tuple[str, str, str]]:
    """Every setting: its environment variable, its value (secrets never shown) and where it came from."""
    try:
        in_file = set(tomllib.loads(path.read_text())) if path is not None else set()
    except (OSError, ValueError):
        in_file = set()
    environment = {name.upper() for name in os.environ}
    rows = []
    for name in Settings.model_fields:
        variable = f"{ENV_PREFIX}{name.upper()}"
        source = (
            "environment" if variable in environment else f"file {path}" if name in in_file else "default"
        )
        rows.append((variable, _shown(getattr(settings, name)), source))
    return rows
