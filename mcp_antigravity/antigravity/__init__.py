"""The Antigravity client: request building, the upstream's errors, retries and fallback."""

from .auth import CredentialKind, NoCredentials, RefreshingToken, StaticToken, TokenSource, token_source
from .client import AntigravityClient, open_http_client
from .errors import (
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
    ResponseFormatError,
    ServerError,
    error_from_body,
)

__all__ = [
    "AntigravityClient",
    "AntigravityConnectionError",
    "AntigravityError",
    "AntigravityStatusError",
    "AntigravityTimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "CredentialKind",
    "CredentialsError",
    "NoCredentials",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RefreshingToken",
    "ResponseFormatError",
    "ServerError",
    "StaticToken",
    "TokenSource",
    "error_from_body",
    "open_http_client",
    "token_source",
]
