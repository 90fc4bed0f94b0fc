"""When to move to the next endpoint, when to wait and retry, and when to give up.

Pure functions: the caller passes the randomness and the time left, so every rule is
tested by a table of rows.

Rules, in order:

* A network error, 408, 404 or 5xx moves to the next base URL at once. When the last one
  fails too, 404 gives up (the model is unknown everywhere) and the rest wait a jittered
  backoff and start again from the first base URL.
* A 429 ``QUOTA_EXHAUSTED`` gives up at once and never moves to another base URL: the quota
  belongs to the account, and its reset is hours away.
* Any other 429 (``RATE_LIMIT_EXCEEDED``, or bare) moves to the next base URL once, before
  any wait: limits differ per host, and one host often serves what another refuses. After
  that the call waits the server's delay (or a backoff when there is none), unless that
  delay is over the cap, in which case it fails fast with the delay in the error.
* A 503 ``MODEL_CAPACITY_EXHAUSTED`` is a 5xx like the others: next base URL, then backoff.
* A server-requested delay is honoured for 5xx as well, within the same cap.
* Nothing waits past the call's deadline, and nothing retries more than ``max_retries``.
* Every other error (400, 401, 403, unreadable bodies) gives up at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from .errors import (
    AntigravityConnectionError,
    AntigravityError,
    AntigravityStatusError,
    NotFoundError,
    RateLimitError,
)

_FAILOVER_STATUSES = frozenset({404, 408})


class Action(Enum):
    NEXT_ENDPOINT = "next_endpoint"
    RETRY = "retry"
    FAIL = "fail"


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3
    max_retry_delay: float = 30.0
    backoff_initial: float = 0.5
    backoff_max: float = 8.0


@dataclass(frozen=True)
class Decision:
    action: Action
    delay: float = 0.0
    endpoint_index: int = 0
    why: str = ""


def fails_over(error: AntigravityError) -> bool:
    """Whether another base URL may succeed where this one failed."""
    if isinstance(error, AntigravityConnectionError):
        return True
    if isinstance(error, AntigravityStatusError):
        return error.status in _FAILOVER_STATUSES or error.status >= 500
    return False


def backoff_delay(retry_number: int, policy: RetryPolicy, random: Callable[[], float]) -> float:
    """Exponential backoff with equal jitter: half fixed, half random, capped at ``backoff_max``."""
    ceiling = min(policy.backoff_max, policy.backoff_initial * 2.0**retry_number)
    return ceiling / 2 + random() * ceiling / 2


def decide(
    error: AntigravityError,
    *,
    endpoint_index: int,
    endpoint_count: int,
    retries_done: int,
    time_left: float,
    policy: RetryPolicy,
    random: Callable[[], float],
    moved_for_rate_limit: bool = False,
) -> Decision:
    """What to do after ``error`` on base URL ``endpoint_index``; ``moved_for_rate_limit`` says the
    call already moved once to another base URL after a 429."""
    if isinstance(error, RateLimitError):
        if error.quota_exhausted:
            return Decision(Action.FAIL, why="quota exhausted")
        if not moved_for_rate_limit and endpoint_index + 1 < endpoint_count:
            return Decision(
                Action.NEXT_ENDPOINT, endpoint_index=endpoint_index + 1, why="429: try another host"
            )
        return _after_rate_limit(error, endpoint_index, retries_done, time_left, policy, random)
    if not fails_over(error):
        return Decision(Action.FAIL, why="not retryable")
    if endpoint_index + 1 < endpoint_count:
        return Decision(Action.NEXT_ENDPOINT, endpoint_index=endpoint_index + 1, why="fail over")
    if isinstance(error, NotFoundError):
        return Decision(Action.FAIL, why="not found on any endpoint")
    server_delay = error.retry_after if isinstance(error, AntigravityStatusError) else None
    if server_delay is not None and server_delay > policy.max_retry_delay:
        return Decision(Action.FAIL, why="server delay over the cap")
    delay = max(server_delay or 0.0, backoff_delay(retries_done, policy, random))
    return _retry_if_allowed(delay, 0, retries_done, time_left, policy)


def _after_rate_limit(
    error: RateLimitError,
    endpoint_index: int,
    retries_done: int,
    time_left: float,
    policy: RetryPolicy,
    random: Callable[[], float],
) -> Decision:
    if error.retry_after is not None and error.retry_after > policy.max_retry_delay:
        return Decision(Action.FAIL, why="server delay over the cap")
    delay = (
        error.retry_after if error.retry_after is not None else backoff_delay(retries_done, policy, random)
    )
    return _retry_if_allowed(delay, endpoint_index, retries_done, time_left, policy)


def _retry_if_allowed(
    delay: float, endpoint_index: int, retries_done: int, time_left: float, policy: RetryPolicy
) -> Decision:
    if retries_done >= policy.max_retries:
        return Decision(Action.FAIL, why="retries used up")
    if delay >= time_left:
        return Decision(Action.FAIL, why="deadline too close")
    return Decision(Action.RETRY, delay=delay, endpoint_index=endpoint_index, why="retry")
