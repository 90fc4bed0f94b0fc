"""Where the bearer token comes from.

Today: a static token (``ANTIGRAVITY_ACCESS_TOKEN``). The OAuth flow plugs in later as
another :class:`TokenSource`; the client only ever asks for a token and an account key.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import SecretStr

from .errors import CredentialsError


class TokenSource(Protocol):
    @property
    def account(self) -> str:
        """A stable, non-secret key for the account (project discovery is cached per account)."""
        ...

    async def token(self) -> str:
        """A valid access token; raises :class:`CredentialsError` when there is none."""
        ...


class StaticToken:
    """A token given in the configuration; it is used as is and never refreshed."""

    def __init__(self, token: SecretStr) -> None:
        self._token = token

    @property
    def account(self) -> str:
        return "static-token"

    async def token(self) -> str:
        return self._token.get_secret_value()


class NoCredentials:
    """Stands in when nothing is configured, so the server starts and every call says what to do."""

    @property
    def account(self) -> str:
        return "none"

    async def token(self) -> str:
        raise CredentialsError(
            "No Antigravity credentials are configured. Set ANTIGRAVITY_ACCESS_TOKEN to an OAuth access "
            "token, or run `mcp-antigravity serve --emulator` to try the server offline."
        )


def token_source(token: SecretStr | None) -> TokenSource:
    return StaticToken(token) if token is not None and token.get_secret_value() else NoCredentials()
