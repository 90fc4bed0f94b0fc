"""What a failure says about the account that met it: the rules that move a call to another account.

Pure: the caller passes the time. A verdict of ``None`` means the failure is not the account's
(a host, the network, the request itself): the endpoint rules of :mod:`.retry` decide then.

* 429 ``QUOTA_EXHAUSTED``: the account is cooled for that model until the quota resets (the
  error's ``quotaResetTimeStamp``, else ``quotaResetDelay`` / RetryInfo, else an hour), and the
  call moves to another account at once.
* 429 ``RATE_LIMIT_EXCEEDED`` with a delay up to :data:`SHORT_WAIT`: ``None`` (the same account
  waits, as the peers do). A longer delay cools the account for that model that long and the
  call moves; when no other account can take it, the call waits instead if the endpoint rules
  allow (the verdict is ``soft``). A delay of five minutes or more is a spent quota.
* 403 ``VALIDATION_REQUIRED``: the account needs verification (with the link), and the call moves.
* 403 for a Terms-of-Service suspension or an ineligible account: suspended, with the
  upstream's words, and the call moves.
* A dead refresh token (``invalid_grant``): the account is marked so, and the call moves.
* 401 after the token was renewed once: the call moves; the account is not marked (the next
  call tries it again: a single 401 may be a token issued a moment too early).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from ..accounts.records import AccountState
from .errors import (
    AntigravityError,
    AuthenticationError,
    PermissionDeniedError,
    RateLimitError,
    RefreshTokenDead,
)

SHORT_WAIT = 3.0
"""Seconds of a rate-limit delay that are waited out on the same account."""
LONG_LIMIT = 300.0
"""A rate-limit delay this long is a spent quota."""
UNKNOWN_RESET = 3600.0
"""How long an exhausted quota is assumed to last when the upstream does not say."""

_SUSPENDED = re.compile(r"violation of Terms of Service|ineligible|has been disabled in this account", re.I)
_GOOGLE_LINK = re.compile(r"https://accounts\.google\.com/\S+")


@dataclass(frozen=True)
class Cool:
    """The account may not serve this model until ``until``."""

    until: float
    reason: str
    soft: bool = False
    """Only worth it when another account can take the call; else the call may wait instead."""
    spent: bool = False
    """The account's quota for the model is used up until ``until`` (what the quota view shows)."""


@dataclass(frozen=True)
class Mark:
    """The account may not serve any model until the user acts."""

    state: AccountState
    reason: str
    url: str | None = None


@dataclass(frozen=True)
class Move:
    """Try another account for this call; nothing is recorded."""

    reason: str


Verdict = Cool | Mark | Move


def verdict(error: AntigravityError, *, now: float) -> Verdict | None:
    if isinstance(error, RateLimitError):
        return _rate_limited(error, now)
    if isinstance(error, PermissionDeniedError):
        if error.validation_required:
            meta = error.metadata
            link = _GOOGLE_LINK.search(error.message)
            url = meta.get("validation_url") or (link.group(0) if link else None)
            return Mark("needs_verification", meta.get("validation_error_message") or error.message, url)
        if _SUSPENDED.search(error.message):
            return Mark("suspended", error.message)
        return None
    if isinstance(error, RefreshTokenDead):
        return Mark("token_dead", str(error))
    if isinstance(error, AuthenticationError):
        return Move("the access token was refused after renewing it")
    return None


def _rate_limited(error: RateLimitError, now: float) -> Verdict | None:
    if error.quota_exhausted:
        return Cool(_reset_of(error, now), "quota exhausted", spent=True)
    if error.bare:
        return None  # often a masked rejection of the request, not the account's limit (§0.5)
    delay = error.retry_after
    if delay is None or delay <= SHORT_WAIT:
        return None
    if delay >= LONG_LIMIT:
        return Cool(now + delay, "rate limited for a long while", spent=True)
    return Cool(now + delay, "rate limited", soft=True)


def _reset_of(error: RateLimitError, now: float) -> float:
    stamp = error.metadata.get("quotaResetTimeStamp")
    if stamp:
        try:
            return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    delay = error.quota_reset_after if error.quota_reset_after is not None else error.retry_after
    return now + (delay if delay is not None else UNKNOWN_RESET)
