"""Upstream errors, told to the caller: what happened and what to do next."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, assert_never

from ...antigravity import (
    AccountsSpent,
    AntigravityConnectionError,
    AntigravityError,
    AntigravityStatusError,
    AntigravityTimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientFacts,
    CredentialKind,
    CredentialsError,
    NotFoundError,
    Notice,
    PermissionDeniedError,
    RateLimitError,
    RefreshTokenDead,
    ResponseFormatError,
    ServerError,
    UpstreamNotice,
)
from ...antigravity.models import text_model_ids


def format_seconds(seconds: float) -> str:
    if seconds < 1:
        return f"{max(seconds, 0) * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min {rest} s"


def describe_error(error: AntigravityError, model: str, facts: ClientFacts | None = None) -> str:
    """One message for the caller (and the model reading it) with the fix in it; ``facts`` say
    which setting supplied the token, which version was sent and what the live catalog lists."""
    advice = facts or ClientFacts()
    text = _describe(error, model, advice)
    trace = error.trace_id if isinstance(error, AntigravityStatusError | UpstreamNotice) else None
    return f"{text} (trace id {trace})" if trace else text


def _version_advice(advice: ClientFacts) -> str:
    return (
        f"Raise ANTIGRAVITY_CLIENT_VERSION (now {advice.client_version}) to the current Antigravity version, "
        "or set ANTIGRAVITY_USER_AGENT to the whole User-Agent the current app sends."
    )


def _notice(notice: Notice, model: str, advice: ClientFacts) -> str:
    if notice.kind == "version":
        return f'The upstream refuses this client version: "{notice.text}" {_version_advice(advice)}'
    successor = (
        advice.available.by_display_name(notice.successor) if advice.available and notice.successor else None
    )
    instead = f'model="{successor}"' if successor else f"the model the upstream names ({notice.successor})"
    return (
        f'Model {model} is retired upstream: "{notice.text}" Ask {instead} instead. '
        "This answer was not stored in the conversation."
    )


def _not_found(model: str, advice: ClientFacts) -> str:
    available = advice.available
    if available is not None and model in available.models:
        return (
            f"Model {model} is in the upstream's catalog for this account but answered 404 NOT_FOUND: the "
            f"newest models are held back from older clients. {_version_advice(advice)} (It can also be a "
            "rollout that has not reached this account yet; try another model meanwhile.)"
        )
    if available is not None:
        return f"Model {model} is not available upstream (404 NOT_FOUND). Available: {', '.join(text_model_ids(available))}."
    return (
        f"Model {model} was not found upstream (404 NOT_FOUND): the id may be unknown (known: "
        f"{', '.join(text_model_ids())}), or the client version may be below the floor for newer models. "
        + _version_advice(advice)
    )


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
    if credentials == "accounts":
        return (
            "It was made from a stored account's refresh token and refused again after renewing it: sign in "
            "to that account in a browser to check it still has access, or run `mcp-antigravity accounts add`."
        )
    if credentials == "none":
        return "No credentials are configured: set ANTIGRAVITY_REFRESH_TOKEN or run `mcp-antigravity login`."
    assert_never(credentials)


def _rate_limited(error: RateLimitError, model: str, advice: ClientFacts) -> str:
    limited = error.model or model
    if error.quota_exhausted:
        reset = f" It resets in {format_seconds(error.quota_reset_after)}." if error.quota_reset_after else ""
        return f"Model {limited} has used up its quota (QUOTA_EXHAUSTED).{reset} Use another model meanwhile."
    if error.bare:
        return (
            f'Model {limited} answered 429 "{error.message}" with no reason, on every host tried. That is '
            "often not a quota limit but a masked rejection of the request's content or of the client's "
            "identity: rephrase or shorten the system instruction and the prompt, try another model, raise "
            f"ANTIGRAVITY_CLIENT_VERSION (now {advice.client_version}), or sign in to the account once in the "
            "official Antigravity app. If it is a real limit, it passes in a little while."
        )
    wait = (
        f"Retry after {format_seconds(error.retry_after)}."
        if error.retry_after is not None
        else "Retry in a little while."
    )
    reason = f" ({error.reason})" if error.reason else ""
    return f"Model {limited} is rate limited{reason}: {error.message} {wait}"


def _refused(error: AuthenticationError, model: str, advice: ClientFacts) -> str:
    return (
        f"The upstream rejected the access token ({error.reason or error.status_name}): {error.message} "
        + _refused_token(advice.credentials)
    )


def _denied(error: PermissionDeniedError, model: str, advice: ClientFacts) -> str:
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


def _server_failed(error: ServerError, model: str, advice: ClientFacts) -> str:
    if error.capacity_exhausted:
        return (
            f"Model {error.model or model} has no capacity right now (503 MODEL_CAPACITY_EXHAUSTED), on every host "
            "tried. Retry in a little while, or use another model."
        )
    return _failed(error, model, advice)


def _failed(error: AntigravityStatusError, model: str, advice: ClientFacts) -> str:
    return (
        f"The upstream failed ({error.status} {error.status_name}: {error.message}) on every endpoint, "
        "after retries. Try again shortly."
    )


def _spent(error: AccountsSpent, model: str, advice: ClientFacts) -> str:
    left = f" Models with quota left: {', '.join(error.models_left)}." if error.models_left else ""
    return (
        f"{error} Nothing was sent upstream for this call.{left} `mcp-antigravity quota` shows every "
        "account's numbers; `mcp-antigravity accounts add` adds another account."
    )


def _as_told(error: AntigravityError, model: str, advice: ClientFacts) -> str:
    """Errors whose own message already says what happened and what to do."""
    return str(error)


def _unreachable(error: AntigravityConnectionError, model: str, advice: ClientFacts) -> str:
    return f"{error} Check ANTIGRAVITY_ENDPOINTS and the network, then retry."


Advice = Callable[[Any, str, ClientFacts], str]
ADVICE: dict[type[AntigravityError], Advice] = {
    AntigravityError: _as_told,
    CredentialsError: _as_told,
    RefreshTokenDead: _as_told,
    AccountsSpent: _spent,
    AntigravityConnectionError: _unreachable,
    AntigravityTimeoutError: _as_told,
    ResponseFormatError: _as_told,
    UpstreamNotice: lambda error, model, advice: _notice(error.notice, error.model, advice),
    AntigravityStatusError: _failed,
    BadRequestError: lambda error, model, advice: (
        f"The upstream rejected the request ({error.status_name}): {error.message}"
    ),
    AuthenticationError: _refused,
    PermissionDeniedError: _denied,
    NotFoundError: lambda error, model, advice: _not_found(model, advice),
    RateLimitError: _rate_limited,
    ServerError: _server_failed,
}
"""The advice for each error type of the client's tree, every one named (a test walks the tree
and fails on a class that is missing here)."""


def _describe(error: AntigravityError, model: str, advice: ClientFacts) -> str:
    if isinstance(error, AntigravityStatusError) and error.notice is not None:
        return _notice(error.notice, error.model or model, advice)  # a notice, whatever the status
    kind = next(k for k in type(error).__mro__ if k in ADVICE)
    return ADVICE[kind](error, model, advice)
