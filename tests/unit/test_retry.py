"""The retry/fallback policy as a table (pure)."""

from __future__ import annotations

import pytest

from mcp_antigravity.antigravity.errors import (
    AntigravityConnectionError,
    AntigravityError,
    BadRequestError,
    error_from_body,
)
from mcp_antigravity.antigravity.retry import Action, Decision, RetryPolicy, backoff_delay, decide

POLICY = RetryPolicy(max_retries=3, max_retry_delay=30.0, backoff_initial=1.0, backoff_max=8.0)


def status_error(status: int, *, retry: str | None = None, reason: str | None = None) -> AntigravityError:
    details: list[dict] = []
    if retry:
        details.append({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry})
    if reason:
        details.append({"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason})
    return error_from_body(status, {"error": {"code": status, "message": "m", "details": details}})


NETWORK = AntigravityConnectionError("down")

# (error, endpoint index, endpoint count, retries done, time left) -> (action, delay, next endpoint)
ROWS = [
    ("network error, more endpoints", NETWORK, 0, 2, 0, 100, Action.NEXT_ENDPOINT, 0.0, 1),
    ("503, more endpoints", status_error(503), 0, 2, 0, 100, Action.NEXT_ENDPOINT, 0.0, 1),
    ("500, more endpoints", status_error(500), 0, 2, 0, 100, Action.NEXT_ENDPOINT, 0.0, 1),
    ("408, more endpoints", status_error(408), 0, 2, 0, 100, Action.NEXT_ENDPOINT, 0.0, 1),
    ("404, more endpoints", status_error(404), 0, 2, 0, 100, Action.NEXT_ENDPOINT, 0.0, 1),
    ("404 on the last endpoint", status_error(404), 1, 2, 0, 100, Action.FAIL, 0.0, 0),
    (
        "503 on the last endpoint: backoff, from the first",
        status_error(503),
        1,
        2,
        0,
        100,
        Action.RETRY,
        0.75,
        0,
    ),
    ("network on the only endpoint, second retry", NETWORK, 0, 1, 1, 100, Action.RETRY, 1.5, 0),
    (
        "503 with a server delay above the backoff",
        status_error(503, retry="5s"),
        0,
        1,
        0,
        100,
        Action.RETRY,
        5.0,
        0,
    ),
    (
        "503 with a server delay over the cap",
        status_error(503, retry="60s"),
        0,
        1,
        0,
        100,
        Action.FAIL,
        0.0,
        0,
    ),
    ("503 retries used up", status_error(503), 0, 1, 3, 100, Action.FAIL, 0.0, 0),
    ("400 is final", status_error(400), 0, 2, 0, 100, Action.FAIL, 0.0, 0),
    ("401 is final", status_error(401), 0, 2, 0, 100, Action.FAIL, 0.0, 0),
    ("403 is final", status_error(403, reason="VALIDATION_REQUIRED"), 0, 2, 0, 100, Action.FAIL, 0.0, 0),
    (
        "client-side errors are final",
        BadRequestError("x", status=400, status_name="INVALID_ARGUMENT"),
        0,
        2,
        0,
        100,
        Action.FAIL,
        0.0,
        0,
    ),
]


@pytest.mark.parametrize(
    ("error", "index", "count", "retries", "time_left", "action", "delay", "next_index"),
    [row[1:] for row in ROWS],
    ids=[row[0] for row in ROWS],
)
def test_decide(
    error: AntigravityError,
    index: int,
    count: int,
    retries: int,
    time_left: float,
    action: Action,
    delay: float,
    next_index: int,
) -> None:
    decision = decide(
        error,
        endpoint_index=index,
        endpoint_count=count,
        retries_done=retries,
        time_left=time_left,
        policy=POLICY,
        random=lambda: 0.5,
    )
    assert_decision(decision, action, delay, next_index)


def assert_decision(decision: Decision, action: Action, delay: float, next_index: int) -> None:
    assert decision.action is action, decision.why
    if action is Action.RETRY:
        assert decision.delay == pytest.approx(delay)
    if action is not Action.FAIL:
        assert decision.endpoint_index == next_index


# 429s: (error, endpoint index, endpoint count, retries done, moved already) -> (action, delay, next endpoint)
RATE_LIMIT_ROWS = [
    (
        "429 moves to the next host once",
        status_error(429, retry="2s"),
        0,
        2,
        0,
        False,
        Action.NEXT_ENDPOINT,
        0.0,
        1,
    ),
    ("bare 429 moves to the next host once", status_error(429), 0, 2, 0, False, Action.NEXT_ENDPOINT, 0.0, 1),
    (
        "RATE_LIMIT_EXCEEDED moves to the next host once",
        status_error(429, retry="1s", reason="RATE_LIMIT_EXCEEDED"),
        0,
        3,
        0,
        False,
        Action.NEXT_ENDPOINT,
        0.0,
        1,
    ),
    ("429 after moving once waits there", status_error(429, retry="2s"), 1, 2, 0, True, Action.RETRY, 2.0, 1),
    (
        "429 after moving, hosts left: still waits",
        status_error(429, retry="2s"),
        1,
        3,
        0,
        True,
        Action.RETRY,
        2.0,
        1,
    ),
    ("429 on the only host waits", status_error(429, retry="2s"), 0, 1, 0, False, Action.RETRY, 2.0, 0),
    ("429 on the last host waits", status_error(429, retry="2s"), 1, 2, 0, False, Action.RETRY, 2.0, 1),
    ("429 without a delay: backoff", status_error(429), 0, 2, 2, True, Action.RETRY, 3.0, 0),
    ("429 delay over the cap fails fast", status_error(429, retry="31s"), 0, 2, 0, True, Action.FAIL, 0.0, 0),
    (
        "QUOTA_EXHAUSTED fails fast and never changes host",
        status_error(429, retry="1s", reason="QUOTA_EXHAUSTED"),
        0,
        2,
        0,
        False,
        Action.FAIL,
        0.0,
        0,
    ),
    ("429 retries used up", status_error(429, retry="1s"), 0, 2, 3, True, Action.FAIL, 0.0, 0),
    (
        "capacity (503 MODEL_CAPACITY_EXHAUSTED) moves on",
        status_error(503, reason="MODEL_CAPACITY_EXHAUSTED"),
        0,
        2,
        0,
        False,
        Action.NEXT_ENDPOINT,
        0.0,
        1,
    ),
    (
        "capacity on the last host backs off",
        status_error(503, reason="MODEL_CAPACITY_EXHAUSTED"),
        1,
        2,
        1,
        False,
        Action.RETRY,
        1.5,
        0,
    ),
]


@pytest.mark.parametrize(
    ("error", "index", "count", "retries", "moved", "action", "delay", "next_index"),
    [row[1:] for row in RATE_LIMIT_ROWS],
    ids=[row[0] for row in RATE_LIMIT_ROWS],
)
def test_decide_for_429_and_capacity(
    error: AntigravityError,
    index: int,
    count: int,
    retries: int,
    moved: bool,
    action: Action,
    delay: float,
    next_index: int,
) -> None:
    decision = decide(
        error,
        endpoint_index=index,
        endpoint_count=count,
        retries_done=retries,
        time_left=100.0,
        policy=POLICY,
        random=lambda: 0.5,
        moved_for_rate_limit=moved,
    )
    assert_decision(decision, action, delay, next_index)


def test_a_delay_past_the_deadline_is_not_waited() -> None:
    decision = decide(
        status_error(429, retry="5s"),
        endpoint_index=0,
        endpoint_count=1,
        retries_done=0,
        time_left=4.0,
        policy=POLICY,
        random=lambda: 0.5,
    )
    assert decision.action is Action.FAIL


@pytest.mark.parametrize(
    ("retry", "low", "high"), [(0, 0.5, 1.0), (1, 1.0, 2.0), (2, 2.0, 4.0), (5, 4.0, 8.0)]
)
def test_backoff_is_jittered_within_bounds(retry: int, low: float, high: float) -> None:
    assert backoff_delay(retry, POLICY, lambda: 0.0) == pytest.approx(low)
    assert backoff_delay(retry, POLICY, lambda: 1.0) == pytest.approx(high)
