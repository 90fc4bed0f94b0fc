"""Where the bearer token comes from: a static token (``ANTIGRAVITY_ACCESS_TOKEN``) or a refresh
token that is exchanged for access tokens and renewed 60 s before they expire (reference §4).
The client only ever asks for a token, an account key, and to forget a refused token.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal, Protocol

import anyio
import httpx2
from pydantic import SecretStr

from .errors import AntigravityConnectionError, CredentialsError, RefreshTokenDead
from .pool import HttpClient

if TYPE_CHECKING:
    from ..config import Settings

REFRESH_AHEAD = 60.0
"""Seconds before expiry that a token is renewed."""

CredentialKind = Literal["access_token", "refresh_token", "accounts", "none"]
"""Where the credentials came from, so that advice about a refused token names the right fix."""


class TokenSource(Protocol):
    @property
    def kind(self) -> CredentialKind:
        """Which setting the credentials come from."""
        ...

    @property
    def account(self) -> str:
        """A stable, non-secret key for the account (project discovery is cached per account)."""
        ...

    async def token(self) -> str:
        """A valid access token; raises :class:`CredentialsError` when there is none."""
        ...

    async def invalidate(self) -> bool:
        """Forget the current token after the upstream refused it; ``True`` when a new one may help."""
        ...


class StaticToken:
    """A token given in the configuration; it is used as is and never refreshed."""

    kind: CredentialKind = "access_token"

    def __init__(self, token: SecretStr) -> None:
        self._token = token

    @property
    def account(self) -> str:
        return "static-token"

    async def token(self) -> str:
        return self._token.get_secret_value()

    async def invalidate(self) -> bool:
        return False


class NoCredentials:
    """Stands in when nothing is configured, so the server starts and every call says what to do."""

    kind: CredentialKind = "none"

    def __init__(self, problem: str | None = None) -> None:
        self._problem = problem

    @property
    def account(self) -> str:
        return "none"

    async def token(self) -> str:
        raise CredentialsError(
            self._problem
            or "No Antigravity credentials are configured. Add a Google account with `mcp-antigravity accounts "
            "add`, or set ANTIGRAVITY_ACCESS_TOKEN to an OAuth access token (or ANTIGRAVITY_REFRESH_TOKEN with "
            "its OAuth client), or run `mcp-antigravity serve --emulator` to try the server offline."
        )

    async def invalidate(self) -> bool:
        return False


class RefreshingToken:
    """Access tokens from a refresh token, renewed before they expire and after the upstream refuses one.

    Concurrent callers share one refresh. ``invalid_grant`` means the refresh token itself is dead
    (revoked, expired, password changed): that is final, and the message says to log in again.
    """

    def __init__(
        self,
        http: HttpClient,
        *,
        refresh_token: SecretStr,
        client_id: str,
        client_secret: SecretStr,
        token_url: str,
        kind: CredentialKind = "refresh_token",
        email: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.kind = kind
        self._email = email
        self._http = http
        self._refresh_token = refresh_token
        self._client_id = client_id
        self._client_secret = client_secret
        self._token_url = token_url
        self._clock = clock
        self._lock = anyio.Lock()
        self._access: str | None = None
        self._expires_at = 0.0

    @property
    def account(self) -> str:
        if self._email is not None:
            return self._email
        digest = hashlib.sha256(self._refresh_token.get_secret_value().encode()).hexdigest()
        return f"refresh-{digest[:12]}"

    async def token(self) -> str:
        async with self._lock:
            if self._access is None or self._clock() >= self._expires_at - REFRESH_AHEAD:
                await self._refresh()
            assert self._access is not None
            return self._access

    async def invalidate(self) -> bool:
        async with self._lock:
            self._access = None
        return True

    async def _refresh(self) -> None:
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self._refresh_token.get_secret_value(),
            "client_id": self._client_id,
            "client_secret": self._client_secret.get_secret_value(),
        }
        try:
            response = await self._http.post(self._token_url, data=form)
        except httpx2.HTTPError as exc:
            raise AntigravityConnectionError(
                f"Cannot reach the OAuth token endpoint {self._token_url}: {exc}.", endpoint=self._token_url
            ) from exc
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400 or not isinstance(body, dict) or "access_token" not in body:
            error = body.get("error") if isinstance(body, dict) else None
            if error == "invalid_grant":
                if self._email is not None:
                    raise RefreshTokenDead(
                        f"The refresh token of {self._email} was revoked or has expired (invalid_grant). "
                        f"Log in again with `mcp-antigravity accounts add` for {self._email}."
                    )
                raise RefreshTokenDead(
                    "The refresh token was revoked or has expired (invalid_grant). Log in again with "
                    "`mcp-antigravity login`, or set a new token in ANTIGRAVITY_REFRESH_TOKEN."
                )
            raise CredentialsError(
                f"The OAuth token endpoint refused to refresh the access token (HTTP "
                f"{response.status_code}, {error or 'no error code'}). Check "
                "ANTIGRAVITY_OAUTH_CLIENT_ID and ANTIGRAVITY_OAUTH_CLIENT_SECRET."
            )
        self._access = str(body["access_token"])
        self._expires_at = self._clock() + float(body.get("expires_in", 3600))


def token_source(settings: Settings, http: HttpClient) -> TokenSource:
    token = settings.access_token
    if token is not None and token.get_secret_value():
        return StaticToken(token)
    refresh = settings.refresh_token
    if refresh is not None and settings.oauth_client_id and settings.oauth_client_secret:
        return RefreshingToken(
            http,
            refresh_token=refresh,
            client_id=settings.oauth_client_id,
            client_secret=settings.oauth_client_secret,
            token_url=settings.oauth_token_url,
        )
    return NoCredentials()


def saved_refresh_token(settings: Settings) -> SecretStr | None:
    """The refresh token ``mcp-antigravity login`` saved for this OAuth client, if any."""
    try:
        saved = json.loads(settings.credentials_path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(saved, dict) or saved.get("client_id") != settings.oauth_client_id:
        return None
    token = saved.get("refresh_token")
    return SecretStr(token) if isinstance(token, str) and token else None
