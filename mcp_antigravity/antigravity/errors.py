"""The upstream's errors, as one tree built by one factory.

::

    AntigravityError
    ├── CredentialsError            no usable credentials configured
    │   └── RefreshTokenDead        the refresh token is revoked or expired (invalid_grant)
    ├── AccountsSpent               no account of the pool can serve the model now
    ├── AntigravityConnectionError  network failures, streams cut short
    ├── AntigravityTimeoutError     the call's overall deadline passed
    ├── ResponseFormatError         the upstream answered something unreadable
    ├── UpstreamNotice              a 200 whose text is a notice (model retired, client too old)
    └── AntigravityStatusError      a google.rpc error body (status, reason, retry_after, trace_id)
        ├── BadRequestError         400
        ├── AuthenticationError     401
        ├── PermissionDeniedError   403 (``validation_required`` for VALIDATION_REQUIRED)
        ├── NotFoundError           404
        ├── RateLimitError          429
        └── ServerError             5xx (and any other status)

:func:`error_from_body` is the only place that turns an error body into an exception; the
client calls it for error responses and for errors that arrive inside an SSE stream.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .durations import parse_duration
from .notices import Notice, read_notice

_TYPE_PREFIX = "type.googleapis.com/google.rpc."

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
# A status name carried by an error in the middle of a 200 stream tells the HTTP code it stands for.
_CODES_BY_NAME = {
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "OUT_OF_RANGE": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "ABORTED": 409,
    "ALREADY_EXISTS": 409,
    "RESOURCE_EXHAUSTED": 429,
    "CANCELLED": 499,
    "INTERNAL": 500,
    "UNKNOWN": 500,
    "DATA_LOSS": 500,
    "UNIMPLEMENTED": 501,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}


class AntigravityError(Exception):
    """Base class of every error raised by the Antigravity client."""

    model_asked: str | None = None
    """The model the failed call was for (set by the client on every generate/stream failure)."""


class CredentialsError(AntigravityError):
    """No credentials are configured, or they cannot be used."""


class RefreshTokenDead(CredentialsError):
    """The OAuth server answered ``invalid_grant``: the refresh token is revoked or expired, for good."""


@dataclass(frozen=True)
class AccountStatus:
    """Why one account cannot serve a model, and from when it can (``None``: when the user acts)."""

    email: str
    why: str
    available_at: float | None


class AccountsSpent(AntigravityError):
    """No account can serve the model now (see :mod:`..accounts.selection`)."""

    def __init__(self, model: str, accounts: list[AccountStatus], models_left: list[str]) -> None:
        self.model = self.model_asked = model
        self.accounts = accounts
        self.models_left = models_left
        times = [a.available_at for a in accounts if a.available_at is not None]
        self.earliest = min(times) if times else None
        parts = "; ".join(f"{a.email}: {a.why}" + _when(a.available_at) for a in accounts)
        first = next((a for a in accounts if a.available_at == self.earliest), None)
        soonest = (
            f" The earliest is {first.email}{_when(first.available_at)}." if first and self.earliest else ""
        )
        super().__init__(f"No account can serve {model} now ({parts}).{soonest}")


def _when(moment: float | None) -> str:
    if moment is None:
        return ""
    left = max(0.0, moment - time.time())
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(moment))
    return f", available again at {stamp} (in {format_wait(left)})"


def format_wait(seconds: float) -> str:
    """``3h12m``, ``4m05s``, ``12s``: a wait as people read it."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


class AntigravityConnectionError(AntigravityError):
    """The upstream could not be reached, or the connection broke mid-response."""

    def __init__(self, message: str, *, endpoint: str | None = None) -> None:
        super().__init__(message)
        self.endpoint = endpoint


class AntigravityTimeoutError(AntigravityError):
    """The call did not finish within its overall deadline."""

    def __init__(self, message: str, *, deadline: float) -> None:
        super().__init__(message)
        self.deadline = deadline


class ResponseFormatError(AntigravityError):
    """The upstream answered with a body this client cannot read."""


class UpstreamNotice(AntigravityError):
    """The upstream answered with a notice instead of an answer (see :mod:`.notices`)."""

    def __init__(self, notice: Notice, *, model: str, trace_id: str | None = None) -> None:
        super().__init__(notice.text)
        self.notice = notice
        self.model = self.model_asked = model
        self.trace_id = trace_id


class AntigravityStatusError(AntigravityError):
    """An error response from the upstream, read from its google.rpc ``Status`` body."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        status_name: str,
        reason: str | None = None,
        retry_after: float | None = None,
        quota_reset_after: float | None = None,
        trace_id: str | None = None,
        metadata: Mapping[str, str] | None = None,
        details: list[dict[str, Any]] | None = None,
        endpoint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.status_name = status_name
        self.reason = reason
        self.retry_after = retry_after
        self.quota_reset_after = quota_reset_after
        self.trace_id = trace_id
        self.metadata: dict[str, str] = dict(metadata or {})
        self.details: list[dict[str, Any]] = list(details or [])
        self.endpoint = endpoint

    @property
    def model(self) -> str | None:
        """The model named in the error's ErrorInfo metadata, when there is one."""
        return self.metadata.get("model")

    @property
    def notice(self) -> Notice | None:
        """The upstream notice this error's message is (a retired model, a client too old), if any."""
        return read_notice(self.message)

    def __str__(self) -> str:
        label = f"{self.status} {self.status_name}" + (f" ({self.reason})" if self.reason else "")
        return f"{label}: {self.message}"


class BadRequestError(AntigravityStatusError):
    """400: the request breaks one of the upstream's rules."""

    @property
    def signature_refused(self) -> bool:
        """A thought signature sent back was refused (the upstream says so only in its message:
        "Invalid `signature` in `thinking` block", "Corrupted thought signature.")."""
        return "signature" in self.message.lower()


class AuthenticationError(AntigravityStatusError):
    """401: the access token is missing, invalid or expired."""


class PermissionDeniedError(AntigravityStatusError):
    """403: no access to the project, or the account must be verified in a browser."""

    @property
    def validation_required(self) -> bool:
        return self.reason == "VALIDATION_REQUIRED"


class NotFoundError(AntigravityStatusError):
    """404: unknown model or path."""


class RateLimitError(AntigravityStatusError):
    """429: quota exhausted, a short rate limit, or (with no details at all) often a rejection in disguise."""

    @property
    def quota_exhausted(self) -> bool:
        return self.reason == "QUOTA_EXHAUSTED"

    @property
    def bare(self) -> bool:
        """No reason and no delay: the upstream's "Resource has been exhausted (e.g. check quota)." that
        is often a masked rejection of the request's content or of the client's identity."""
        return self.reason is None and self.retry_after is None


class ServerError(AntigravityStatusError):
    """5xx, or any status this client has no closer class for."""

    @property
    def capacity_exhausted(self) -> bool:
        """503 ``MODEL_CAPACITY_EXHAUSTED``: the model has no capacity on this host right now."""
        return self.reason == "MODEL_CAPACITY_EXHAUSTED"


_CLASSES: dict[int, type[AntigravityStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


def _unwrap(body: object) -> Mapping[str, Any] | None:
    """The ``error`` object of a body, also when it comes wrapped in a one-element array."""
    if isinstance(body, list) and len(body) == 1:
        body = body[0]
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping):
            return error
    return None


def _decode(body: bytes | str | object) -> object:
    if isinstance(body, bytes | str):
        try:
            return json.loads(body)
        except ValueError:
            return None
    return body


def error_from_body(
    status: int | None,
    body: bytes | str | object,
    *,
    trace_id: str | None = None,
    endpoint: str | None = None,
) -> AntigravityStatusError:
    """Build the typed error for an error response.

    ``status`` is the HTTP status (``None`` or 200 for an error inside a stream, where the
    body's own ``code`` or ``status`` decides). ``body`` is the raw body or decoded JSON.
    """
    error = _unwrap(_decode(body))
    fields: Mapping[str, Any] = error or {}

    name = fields.get("status") if isinstance(fields.get("status"), str) else None
    code = fields.get("code") if isinstance(fields.get("code"), int) else None
    if status is None or status < 400:
        status = code or (_CODES_BY_NAME.get(name, 500) if name else 500)
    name = name or _STATUS_NAMES.get(status, "UNKNOWN")

    message = fields.get("message") if isinstance(fields.get("message"), str) else None
    if not message:
        raw = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        snippet = raw.strip()[:200] if isinstance(raw, str) else ""
        message = snippet or f"HTTP {status} with no error message"

    reason: str | None = None
    metadata: dict[str, str] = {}
    retry_after: float | None = None
    details = [d for d in fields.get("details", []) if isinstance(d, dict)] if error else []
    for detail in details:
        kind = str(detail.get("@type", "")).removeprefix(_TYPE_PREFIX)
        if kind == "ErrorInfo":
            reason = detail.get("reason") if isinstance(detail.get("reason"), str) else reason
            meta = detail.get("metadata")
            if isinstance(meta, dict):
                metadata.update({str(k): str(v) for k, v in meta.items()})
        elif kind == "RetryInfo" and isinstance(detail.get("retryDelay"), str):
            retry_after = parse_duration(detail["retryDelay"])

    quota_reset = parse_duration(metadata["quotaResetDelay"]) if "quotaResetDelay" in metadata else None
    cls = _CLASSES.get(status, ServerError)
    return cls(
        message,
        status=status,
        status_name=name,
        reason=reason,
        retry_after=retry_after if retry_after is not None else quota_reset,
        quota_reset_after=quota_reset,
        trace_id=trace_id,
        metadata=metadata,
        details=details,
        endpoint=endpoint,
    )


def stream_error(payload: object) -> Mapping[str, Any] | None:
    """The ``error`` object when an SSE data payload is an error rather than a chunk."""
    return _unwrap(payload)
