"""Upstream errors, told to the caller: what happened and what to do next."""

from __future__ import annotations

from typing import assert_never

from ..antigravity import (
    AntigravityConnectionError,
    AntigravityError,
    AntigravityStatusError,
    AntigravityTimeoutError,
    AuthenticationError,
    BadRequestError,
    CredentialKind,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseFormatError,
)
from ..catalog import text_model_ids


def format_seconds(seconds: float) -> str:
    if seconds < 1:
        return f"{max(seconds, 0) * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min {rest} s"


def describe_error(error: AntigravityError, model: str, credentials: CredentialKind = "access_token") -> str:
    """One message for the caller (and the model reading it) with the fix in it; ``credentials``
    says which setting supplied the token, so a refused one is met with the right fix."""
    text = _describe(error, model, credentials)
    trace = error.trace_id if isinstance(error, AntigravityStatusError) else None
    return f"{text} (trace id {trace})" if trace else text


def _refused_token(credentials: CredentialKind) -> str:
    if credentials == "access_token":
        return (
            "Set a fresh token in ANTIGRAVITY_ACCESS_TOKEN (Google's last an hour), or configure "
            "ANTIGRAVITY_REFRESH_TOKEN so tokens are renewed automatically."
        )
    if credentials == "refresh_token":
        return (
            "It was made from ANTIGRAVITY_REFRESH_TOKEN and refused again after renewing it, so the account "
            "itself is refused: sign in to it in a browser to check it still has access, or set the refresh "
            "token of another account."
        )
    if credentials == "saved_login":
        return (
            "It was made from the saved login and refused again after renewing it, so the account itself is "
            "refused: run `mcp-antigravity login` again, or sign in with another account."
        )
    if credentials == "none":
        return "No credentials are configured: set ANTIGRAVITY_REFRESH_TOKEN or run `mcp-antigravity login`."
    assert_never(credentials)


def _describe(error: AntigravityError, model: str, credentials: CredentialKind) -> str:
    if isinstance(error, RateLimitError):
        limited = error.model or model
        if error.quota_exhausted:
            reset = (
                f" It resets in {format_seconds(error.quota_reset_after)}." if error.quota_reset_after else ""
            )
            return (
                f"Model {limited} has used up its quota (QUOTA_EXHAUSTED).{reset} "
                "Use another model meanwhile."
            )
        wait = (
            f"Retry after {format_seconds(error.retry_after)}."
            if error.retry_after is not None
            else ("Retry in a little while.")
        )
        reason = f" ({error.reason})" if error.reason else ""
        return f"Model {limited} is rate limited{reason}: {error.message} {wait}"
    if isinstance(error, AuthenticationError):
        return (
            f"The upstream rejected the access token ({error.reason or error.status_name}): {error.message} "
            + _refused_token(credentials)
        )
    if isinstance(error, PermissionDeniedError):
        if error.validation_required:
            url = error.metadata.get("validation_url", "")
            where = f" at {url}" if url else ""
            return (
                "The Google account must be verified in a browser before it can be used again "
                f"(VALIDATION_REQUIRED){where}. Do this, then retry; retrying before will fail the same way."
            )
        return (
            f"Permission denied: {error.message} Check ANTIGRAVITY_PROJECT, or unset it to let the server "
            "discover the account's project."
        )
    if isinstance(error, NotFoundError):
        return (
            f"Model {model} is not available upstream (404 NOT_FOUND). "
            f"Known models: {', '.join(text_model_ids())}."
        )
    if isinstance(error, BadRequestError):
        if "no longer supported" in error.message:
            return (
                f"The upstream refuses this client version: {error.message} "
                "Set ANTIGRAVITY_CLIENT_VERSION to the current Antigravity version."
            )
        return f"The upstream rejected the request ({error.status_name}): {error.message}"
    if isinstance(error, AntigravityStatusError):
        return (
            f"The upstream failed ({error.status} {error.status_name}: {error.message}) on every endpoint, "
            "after retries. Try again shortly."
        )
    if isinstance(error, AntigravityTimeoutError | ResponseFormatError):
        return str(error)
    if isinstance(error, AntigravityConnectionError):
        return f"{error} Check ANTIGRAVITY_ENDPOINTS and the network, then retry."
    return str(error)
