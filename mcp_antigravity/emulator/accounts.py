"""The Google accounts the emulator knows: who each token belongs to, and what each account may do.

Each account has its own access token (static, as ``--token``), refresh token (for ``POST
/token``), email (``GET /oauth2/v1/userinfo``), project and tier (``loadCodeAssist``). Per
account and model:

* ``quota``: generation calls allowed per window (``window`` seconds, from the first call);
  beyond it 429 ``QUOTA_EXHAUSTED`` in the 2026 form, with the time left to the reset in
  ``quotaResetDelay``, ``quotaResetTimeStamp`` and RetryInfo; fetchAvailableModels reports
  the fraction left and the reset time. A model without a number is unlimited.
* ``burst``: more calls than this within ``burst_window`` seconds give 429
  ``RATE_LIMIT_EXCEEDED``, with the time until the oldest of them leaves the window in RetryInfo.
* ``state``: ``verify`` answers every generation with 403 ``VALIDATION_REQUIRED`` (and the
  link); ``suspended`` with the Terms-of-Service 403.
"""

from __future__ import annotations

import hmac
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from .faults import Fault
from .rpc import RpcError, error_info

VERIFY_URL = "https://accounts.google.com/signin/continue?sarp=1&scc=1&plt=emulator"
SUSPENDED = "This service has been disabled in this account for violation of Terms of Service."


@dataclass
class EmulatedAccount:
    email: str
    token: str
    refresh_token: str
    project: str
    tier: str = "free-tier"
    quota: dict[str, int] = field(default_factory=dict)
    window: float = 5 * 3600.0
    burst: int | None = None
    burst_window: float = 1.0
    state: Literal["ok", "verify", "suspended"] = "ok"


_ACCOUNT_KEYS = frozenset(
    {"email", "token", "refresh", "project", "tier", "quota", "window", "burst", "burst_window", "state"}
)


def parse_account(spec: str) -> EmulatedAccount:
    """``email=a@x,token=T,refresh=R,project=P[,tier=..][,quota=model:N/model:N][,window=S][,burst=N]
    [,burst_window=S][,state=ok|verify|suspended]`` (the ``--account`` option)."""
    values: dict[str, str] = {}
    for item in spec.split(","):
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--account: {item!r} is not key=value")
        values[key.strip()] = value.strip()
    unknown = sorted(set(values) - _ACCOUNT_KEYS)
    if unknown:
        raise ValueError(f"--account: unknown key(s) {', '.join(unknown)}")
    missing = [k for k in ("email", "token", "refresh", "project") if not values.get(k)]
    if missing:
        raise ValueError(f"--account: missing {', '.join(missing)}")
    state = values.get("state", "ok")
    if state not in ("ok", "verify", "suspended"):
        raise ValueError(f"--account: state must be ok, verify or suspended, not {state!r}")
    try:
        quota = {
            model: int(count)
            for model, _, count in (
                pair.rpartition(":") for pair in values.get("quota", "").split("/") if pair
            )
        }
        window = float(values.get("window", 5 * 3600.0))
        burst = int(values["burst"]) if values.get("burst") else None
        burst_window = float(values.get("burst_window", 1.0))
    except ValueError:
        raise ValueError(
            f"--account: quota is model:count/model:count; window, burst and burst_window are numbers ({spec})"
        ) from None
    return EmulatedAccount(
        email=values["email"],
        token=values["token"],
        refresh_token=values["refresh"],
        project=values["project"],
        tier=values.get("tier", "free-tier"),
        quota=quota,
        window=window,
        burst=burst,
        burst_window=burst_window,
        state=state,  # type: ignore[arg-type]
    )


class AccountBook:
    """Quota windows and bursts, per account and model."""

    def __init__(self, accounts: list[EmulatedAccount], clock: Callable[[], float] = time.time) -> None:
        self.accounts = {a.email: a for a in accounts}
        self._clock = clock
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}
        self._recent: dict[tuple[str, str], deque[float]] = {}

    def by_token(self, token: str) -> EmulatedAccount | None:
        """The account whose static access token this is (compared in constant time)."""
        return next(
            (a for a in self.accounts.values() if hmac.compare_digest(a.token.encode(), token.encode())), None
        )

    def by_refresh_token(self, token: str) -> EmulatedAccount | None:
        return next(
            (
                a
                for a in self.accounts.values()
                if hmac.compare_digest(a.refresh_token.encode(), token.encode())
            ),
            None,
        )

    def reset_at(self, account: EmulatedAccount, model: str) -> float:
        start, _ = self._window(account, model)
        return start + account.window

    def remaining(self, account: EmulatedAccount, model: str) -> float | None:
        """The fraction of the window's quota left; ``None`` for an unlimited model."""
        allowed = account.quota.get(model)
        if allowed is None:
            return None
        _, used = self._window(account, model)
        return max(0.0, (allowed - used) / allowed) if allowed else 0.0

    def admit(self, account: EmulatedAccount, model: str) -> None:
        """Count one generation call, or raise the error the account meets first."""
        if account.state == "verify":
            raise RpcError(
                403,
                "Verify your account to continue.",
                details=[
                    error_info(
                        "VALIDATION_REQUIRED",
                        validation_url=VERIFY_URL,
                        validation_error_message="Verify your account to continue.",
                        validation_url_link_text="Verify",
                    )
                ],
            )
        if account.state == "suspended":
            raise RpcError(403, SUSPENDED)
        now = self._clock()
        key = (account.email, model)
        if account.burst is not None:
            recent = self._recent.setdefault(key, deque())
            while recent and recent[0] <= now - account.burst_window:
                recent.popleft()
            if len(recent) >= account.burst:
                wait = recent[0] + account.burst_window - now
                raise Fault("rate_limit", retry_delay=f"{wait:.3f}s").error(model)
            recent.append(now)
        allowed = account.quota.get(model)
        if allowed is None:
            return
        start, used = self._window(account, model)
        if used >= allowed:
            left = start + account.window - now
            raise Fault(
                "rate_limit", reason="QUOTA_EXHAUSTED", reset=go_duration(left), retry_delay=f"{left:.3f}s"
            ).error(model)
        self._windows[key] = (start, used + 1)

    def _window(self, account: EmulatedAccount, model: str) -> tuple[float, int]:
        key = (account.email, model)
        now = self._clock()
        start, used = self._windows.get(key, (now, 0))
        if now >= start + account.window:
            start, used = now, 0
        self._windows[key] = (start, used)
        return start, used


def go_duration(seconds: float) -> str:
    """``71h15m27s``: seconds as the upstream writes a reset delay."""
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if hours or minutes else "") + f"{secs}s"


def timestamp(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
