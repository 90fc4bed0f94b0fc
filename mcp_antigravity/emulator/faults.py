"""Fault injection: planned failures, per emulator instance or per request.

A fault is written ``kind`` or ``kind:key=value,key=value``, in the ``X-Emulator-Fault``
request header (that request only), in ``--fault`` on the command line, or as JSON objects
posted to ``/_emulator/faults``. Instance faults count the generation requests they match:
the first ``after`` pass, then the fault fires ``times`` times (0: for ever).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args

from .rpc import DOMAIN, INVALID_CREDENTIALS, RpcError, error_info, retry_info

FaultKind = Literal[
    "rate_limit",
    "capacity",
    "unavailable",
    "internal",
    "slow",
    "cut",
    "stream_error",
    "expired_token",
    "validation_required",
]
KINDS: tuple[str, ...] = get_args(FaultKind)


class FaultSpecError(ValueError):
    """A fault description that cannot be used; the message says why."""


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    after: int = 0
    """Matching requests that pass before the fault fires."""
    times: int = 1
    """How many times it fires; 0 means every matching request from then on."""
    model: str | None = None
    """Only requests for this model match."""
    reason: str = "RATE_LIMIT_EXCEEDED"
    """rate_limit: ErrorInfo reason (RATE_LIMIT_EXCEEDED or QUOTA_EXHAUSTED; capacity is its own kind, a 503)."""
    retry_delay: str = "1.5s"
    """rate_limit: RetryInfo delay; empty for none."""
    reset: str = ""
    """rate_limit: ErrorInfo quotaResetDelay; empty for none."""
    bare: bool = False
    """rate_limit: no details at all, as some real 429s."""
    delay: float = 30.0
    """slow: seconds before the first byte."""
    chunks: int = 1
    """cut / stream_error: stream chunks sent before the failure."""
    status: int = 503
    """stream_error: the status of the error sent inside the stream."""
    wrap: bool = False
    """Error faults: wrap the body in a one-element array."""
    message: str = ""
    """unavailable / internal: the error message instead of the usual one (an upstream notice, say)."""

    def error(self, model: str) -> RpcError:
        """The error this fault answers with (for every kind but slow and cut)."""
        if self.kind == "rate_limit":
            return self._rate_limit(model)
        if self.kind == "capacity":
            return RpcError(
                503,
                f"No capacity available for model {model} on the server",
                wrap=self.wrap,
                details=[error_info("MODEL_CAPACITY_EXHAUSTED", model=model)],
            )
        if self.kind == "unavailable":
            return RpcError(503, self.message or "The service is currently unavailable.", wrap=self.wrap)
        if self.kind == "internal":
            return RpcError(500, self.message or "Internal error encountered.", wrap=self.wrap)
        if self.kind == "stream_error":
            return RpcError(self.status, f"Stream failed after {self.chunks} chunk(s).", wrap=self.wrap)
        if self.kind == "expired_token":
            return RpcError(
                401,
                INVALID_CREDENTIALS,
                wrap=self.wrap,
                details=[error_info("ACCESS_TOKEN_EXPIRED", domain="googleapis.com", service=DOMAIN)],
            )
        if self.kind == "validation_required":
            return RpcError(
                403,
                "Verify your account to continue.",
                wrap=self.wrap,
                details=[
                    error_info(
                        "VALIDATION_REQUIRED", validation_url="https://accounts.google.com/signin/continue"
                    )
                ],
            )
        raise AssertionError(f"fault {self.kind} has no error body")

    def _rate_limit(self, model: str) -> RpcError:
        if self.bare:
            return RpcError(429, "Resource has been exhausted (e.g. check quota).", wrap=self.wrap)
        after = self.reset or self.retry_delay or "a while"
        details: list[dict[str, Any]] = []
        if self.retry_delay:
            details.append(retry_info(self.retry_delay))
        metadata = {"model": model}
        if self.reset:
            metadata["quotaResetDelay"] = self.reset
        if self.reason == "QUOTA_EXHAUSTED":  # the 2026 form (reference §0.5)
            seconds = _seconds(self.reset) if self.reset else 0.0
            stamp = datetime.now(UTC) + timedelta(seconds=seconds)
            metadata["quotaResetTimeStamp"] = stamp.replace(microsecond=0).isoformat().replace("+00:00", "Z")
            message = (
                f"Individual quota reached. Contact your administrator to enable overages. Resets in {after}."
            )
            metadata["uiMessage"] = message
        else:
            message = f"You have exhausted your capacity on this model. Your quota will reset after {after}."
        details.append(error_info(self.reason, **metadata))
        return RpcError(429, message, details=details, wrap=self.wrap)


def _seconds(duration: str) -> float:
    """A Go duration (``71h15m27s``, ``500ms``) in seconds."""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    return sum(float(n) * units[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", duration))


_FIELDS = {f.name: f for f in fields(Fault)}


def _coerce(name: str, value: Any) -> Any:
    kind = _FIELDS[name].type
    if kind in ("int", int):
        return int(value)
    if kind in ("float", float):
        return float(value)
    if kind in ("bool", bool):
        return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
    if kind in ("str | None",) and value in (None, ""):
        return None
    return str(value)


def fault_from_mapping(data: dict[str, Any]) -> Fault:
    kind = data.get("kind")
    if kind not in KINDS:
        raise FaultSpecError(f"unknown fault kind {kind!r}; known: {', '.join(KINDS)}")
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key == "kind":
            continue
        if key not in _FIELDS:
            raise FaultSpecError(f"fault {kind}: unknown option {key!r}; known: {', '.join(sorted(_FIELDS))}")
        try:
            values[key] = _coerce(key, value)
        except (TypeError, ValueError):
            raise FaultSpecError(f"fault {kind}: {key}={value!r} is not a valid value") from None
    return Fault(kind=kind, **values)


def parse_fault(spec: str) -> Fault:
    """``rate_limit:after=2,retry_delay=3.9s`` → :class:`Fault`."""
    kind, _, options = spec.strip().partition(":")
    data: dict[str, Any] = {"kind": kind.strip()}
    for option in filter(None, (o.strip() for o in options.split(","))):
        key, sep, value = option.partition("=")
        if not sep:
            raise FaultSpecError(f"fault option {option!r} is not key=value")
        data[key.strip()] = value.strip()
    return fault_from_mapping(data)


@dataclass
class _Armed:
    fault: Fault
    seen: int = 0
    fired: int = 0


@dataclass
class FaultPlan:
    """The faults of one emulator instance, drawn once per generation request."""

    _armed: list[_Armed] = field(default_factory=list)

    def add(self, fault: Fault) -> None:
        self._armed.append(_Armed(fault))

    def clear(self) -> None:
        self._armed.clear()

    def describe(self) -> list[dict[str, Any]]:
        return [
            {
                "kind": a.fault.kind,
                "after": a.fault.after,
                "times": a.fault.times,
                "seen": a.seen,
                "fired": a.fired,
            }
            for a in self._armed
        ]

    def draw(self, model: str) -> Fault | None:
        chosen: Fault | None = None
        for armed in self._armed:
            fault = armed.fault
            if fault.model is not None and fault.model != model:
                continue
            armed.seen += 1
            if (
                chosen is None
                and armed.seen > fault.after
                and (fault.times == 0 or armed.fired < fault.times)
            ):
                armed.fired += 1
                chosen = fault
        return chosen
