"""The connection to Redis (or Valkey) that every Redis-backed store shares.

* The URL is ``redis://host:port/db`` or, with TLS, ``rediss://``; a password comes from the URL
  or from ``ANTIGRAVITY_STORE_PASSWORD``. Neither is ever logged: :func:`describe` is the only
  form of the URL that leaves this module.
* Keys live under one namespace (``ANTIGRAVITY_STORE_NAMESPACE``, default ``mcp-antigravity``),
  so one Redis can serve several deployments; every JSON value carries ``"v"``, its format
  version, for later migrations.
* Every command has a timeout; the pool of connections is bounded and a call waits for a free
  connection rather than opening more.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, Protocol, TypeVar
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from ..config import Settings

FORMAT = 1
"""The version every stored value carries; a newer one is refused, not misread."""
COMMAND_TIMEOUT = 10.0
MAX_CONNECTIONS = 128


class StoreError(Exception):
    """The store cannot be reached or holds what this version cannot read; the message says what to do."""


class StoreUnavailable(StoreError):
    """A command to the store failed mid-run (Redis down, a timeout): the call's turn was not
    stored, or its storing was not confirmed."""


def describe(url: str) -> str:
    """The URL without its password (for messages and logs)."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    user = f"{parts.username}:***@" if parts.password else ("***@" if parts.username else "")
    return f"{parts.scheme}://{user}{host}{port}{parts.path or ''}"


@dataclass(frozen=True)
class RedisConnection:
    """One client (a bounded connection pool) and the namespace its keys live under."""

    redis: Any
    """A ``redis.asyncio.Redis`` (bytes in, bytes out). Typed ``Any``: redis-py annotates its asyncio
    commands with the synchronous client's return types; the contract tests check every call."""
    namespace: str
    where: str
    """:func:`describe` of the URL."""

    def key(self, *parts: str) -> str:
        return ":".join((self.namespace, *parts))

    async def close(self) -> None:
        await self.redis.aclose()

    @contextmanager
    def failures(self) -> Iterator[None]:
        """Redis's own errors, as :class:`StoreUnavailable` naming the store (never its password)."""
        from redis.exceptions import RedisError

        try:
            yield
        except RedisError as exc:
            raise StoreUnavailable(
                f"The shared store at {self.where} failed ({_reason(exc)}), so this call's work was not stored "
                "(or not confirmed: read the session before sending a turn again). Retry shortly; if it keeps "
                "failing, check that Redis is up and ANTIGRAVITY_STORE."
            ) from None


class _OnRedis(Protocol):
    _c: RedisConnection


S = TypeVar("S", bound=_OnRedis)
P = ParamSpec("P")
R = TypeVar("R")


def reported(
    method: Callable[Concatenate[S, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[S, P], Coroutine[Any, Any, R]]:
    """A store method whose Redis failures reach the caller as :class:`StoreUnavailable`."""

    @functools.wraps(method)
    async def run(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with self._c.failures():
            return await method(self, *args, **kwargs)

    return run


def encode(value: dict[str, Any]) -> bytes:
    return json.dumps({"v": FORMAT, **value}, separators=(",", ":")).encode()


def decode(raw: bytes | str) -> dict[str, Any]:
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise StoreError("the store holds a value that is not a JSON object")
    if int(value.get("v", 0)) > FORMAT:
        raise StoreError(
            f"the store holds values written by a newer mcp-antigravity (format {value['v']}); upgrade this one"
        )
    return value


async def connect(settings: Settings) -> RedisConnection:
    """A checked connection to the store the settings name (``PING`` answered), or :class:`StoreError`."""
    try:
        from redis.asyncio import BlockingConnectionPool, Redis
        from redis.exceptions import RedisError
    except ImportError:  # pragma: no cover - the extra is part of every test install
        raise StoreError(
            "ANTIGRAVITY_STORE names Redis but the Redis client is not installed: "
            "pip install 'mcp-antigravity[redis]'"
        ) from None
    assert settings.store is not None
    url = settings.store.get_secret_value()
    where = describe(url)
    password = settings.store_password.get_secret_value() if settings.store_password else None
    options: dict[str, Any] = {
        "max_connections": MAX_CONNECTIONS,
        "timeout": COMMAND_TIMEOUT,  # waiting for a free connection
        "socket_timeout": COMMAND_TIMEOUT,
        "socket_connect_timeout": COMMAND_TIMEOUT,
        "health_check_interval": 30,
    }
    if password is not None:
        options["password"] = password
    try:
        pool = BlockingConnectionPool.from_url(url, **options)
    except ValueError as exc:
        raise StoreError(f"ANTIGRAVITY_STORE is not a Redis URL ({exc}): use redis://host:port/db") from None
    redis = Redis(connection_pool=pool)
    try:
        await redis.ping()
    except RedisError as exc:
        await redis.aclose()
        raise StoreError(
            f"Cannot use the store at {where}: {_reason(exc)}. Start Redis there or fix ANTIGRAVITY_STORE "
            "(and ANTIGRAVITY_STORE_PASSWORD)."
        ) from None
    return RedisConnection(redis, settings.store_namespace, where)


def _reason(exc: Exception) -> str:
    text = str(exc).strip().rstrip(".")
    return text or type(exc).__name__
