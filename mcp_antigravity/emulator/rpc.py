"""google.rpc error bodies, as the upstream writes them."""

from __future__ import annotations

from typing import Any

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_TYPE = "type.googleapis.com/google.rpc."
DOMAIN = "cloudcode-pa.googleapis.com"


class RpcError(Exception):
    """An error the emulator answers with: HTTP status plus a google.rpc Status body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        status_name: str | None = None,
        details: list[dict[str, Any]] | None = None,
        wrap: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.status_name = status_name or STATUS_NAMES.get(status, "UNKNOWN")
        self.details = details or []
        self.wrap = wrap

    def status_object(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.status, "message": self.message, "status": self.status_name}
        if self.details:
            error["details"] = self.details
        return {"error": error}

    def body(self) -> dict[str, Any] | list[dict[str, Any]]:
        """The response body; some upstream errors come wrapped in a one-element array."""
        return [self.status_object()] if self.wrap else self.status_object()


def error_info(reason: str, *, domain: str = DOMAIN, **metadata: str) -> dict[str, Any]:
    detail: dict[str, Any] = {"@type": _TYPE + "ErrorInfo", "reason": reason, "domain": domain}
    if metadata:
        detail["metadata"] = metadata
    return detail


def retry_info(delay: str) -> dict[str, Any]:
    return {"@type": _TYPE + "RetryInfo", "retryDelay": delay}


def bad_request(message: str, *, field: str | None = None, status_name: str = "INVALID_ARGUMENT") -> RpcError:
    details = []
    if field is not None:
        details.append(
            {"@type": _TYPE + "BadRequest", "fieldViolations": [{"field": field, "description": message}]}
        )
    return RpcError(400, message, status_name=status_name, details=details)


def unauthenticated(message: str, reason: str) -> RpcError:
    return RpcError(401, message, details=[error_info(reason, domain="googleapis.com", service=DOMAIN)])


MISSING_CREDENTIALS = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie "
    "or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
)
INVALID_CREDENTIALS = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other "
    "valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
)
NOT_FOUND = "Requested entity was not found."
