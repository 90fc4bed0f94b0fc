"""The Antigravity client: request building, the upstream's errors, retries and fallback."""

from .auth import CredentialKind, NoCredentials, RefreshingToken, StaticToken, TokenSource, token_source
from .available import AvailableModel, AvailableModels
from .client import AntigravityClient, open_http_client
from .errors import (
    AccountsSpent,
    AccountStatus,
    AntigravityConnectionError,
    AntigravityError,
    AntigravityStatusError,
    AntigravityTimeoutError,
    AuthenticationError,
    BadRequestError,
    CredentialsError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RefreshTokenDead,
    ResponseFormatError,
    ServerError,
    UpstreamNotice,
    error_from_body,
)
from .facts import ClientFacts
from .notices import Notice

__all__ = [
    "AccountStatus",
    "AccountsSpent",
    "AntigravityClient",
    "AntigravityConnectionError",
    "AntigravityError",
    "AntigravityStatusError",
    "AntigravityTimeoutError",
    "AuthenticationError",
    "AvailableModel",
    "AvailableModels",
    "BadRequestError",
    "ClientFacts",
    "CredentialKind",
    "CredentialsError",
    "NoCredentials",
    "NotFoundError",
    "Notice",
    "PermissionDeniedError",
    "RateLimitError",
    "RefreshTokenDead",
    "RefreshingToken",
    "ResponseFormatError",
    "ServerError",
    "StaticToken",
    "TokenSource",
    "UpstreamNotice",
    "error_from_body",
    "open_http_client",
    "token_source",
]
