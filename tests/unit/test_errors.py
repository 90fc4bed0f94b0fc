"""The error factory and the Go-duration parser (pure)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcp_antigravity.antigravity.durations import parse_duration
from mcp_antigravity.antigravity.errors import (
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    error_from_body,
)

REFERENCE_429 = {
    "error": {
        "code": 429,
        "message": "You have exhausted your capacity on this model. Your quota will reset after 3s.",
        "status": "RESOURCE_EXHAUSTED",
        "details": [
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "3.957525076s"},
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "QUOTA_EXHAUSTED",
                "domain": "cloudcode-pa.googleapis.com",
                "metadata": {"model": "gemini-3-flash", "quotaResetDelay": "135h9m46s"},
            },
        ],
    }
}


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("3.957525076s", 3.957525076),
        ("500ms", 0.5),
        ("1h16m0.667s", 4560.667),
        ("135h9m46s", 135 * 3600 + 9 * 60 + 46),
        ("0", 0.0),
        ("1.5m", 90.0),
        ("250us", 0.00025),
        ("10ns", 1e-8),
        (".5s", 0.5),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "s", "3", "3x", "-1s", "1h 2m", "abc", "1.2.3s"])
def test_parse_duration_rejects_non_durations(text: str) -> None:
    assert parse_duration(text) is None


@given(st.integers(0, 500), st.integers(0, 59), st.integers(0, 59), st.integers(0, 999))
def test_parse_duration_of_formatted_parts(hours: int, minutes: int, seconds: int, millis: int) -> None:
    text = f"{hours}h{minutes}m{seconds}.{millis:03d}s"
    assert parse_duration(text) == pytest.approx(hours * 3600 + minutes * 60 + seconds + millis / 1000)


def test_reference_429_body() -> None:
    error = error_from_body(429, json.dumps(REFERENCE_429).encode(), trace_id="abc")
    assert isinstance(error, RateLimitError)
    assert (error.status, error.status_name, error.reason) == (429, "RESOURCE_EXHAUSTED", "QUOTA_EXHAUSTED")
    assert error.retry_after == pytest.approx(3.957525076)
    assert error.quota_reset_after == 135 * 3600 + 9 * 60 + 46
    assert error.quota_exhausted and error.model == "gemini-3-flash" and error.trace_id == "abc"


def test_body_wrapped_in_one_element_array() -> None:
    error = error_from_body(429, json.dumps([REFERENCE_429]))
    assert isinstance(error, RateLimitError) and error.reason == "QUOTA_EXHAUSTED"


def test_quota_reset_delay_used_when_there_is_no_retry_info() -> None:
    body = {
        "error": {
            "code": 429,
            "message": "m",
            "status": "RESOURCE_EXHAUSTED",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "RATE_LIMIT_EXCEEDED",
                    "metadata": {"quotaResetDelay": "500ms"},
                }
            ],
        }
    }
    assert error_from_body(429, body).retry_after == pytest.approx(0.5)


def test_429_without_details() -> None:
    body = {
        "error": {
            "code": 429,
            "message": "Resource has been exhausted (e.g. check quota).",
            "status": "RESOURCE_EXHAUSTED",
        }
    }
    error = error_from_body(429, body)
    assert isinstance(error, RateLimitError)
    assert error.retry_after is None and error.reason is None and not error.quota_exhausted


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
        (418, ServerError),
    ],
)
def test_status_picks_the_class(status: int, cls: type) -> None:
    assert type(error_from_body(status, b'{"error": {"message": "x"}}')) is cls


@pytest.mark.parametrize(
    ("body", "status", "cls"),
    [
        ({"error": {"code": 503, "status": "UNAVAILABLE", "message": "x"}}, 503, ServerError),
        ({"error": {"status": "RESOURCE_EXHAUSTED", "message": "x"}}, 429, RateLimitError),
        ({"error": {"status": "FAILED_PRECONDITION", "message": "x"}}, 400, BadRequestError),
    ],
)
def test_error_inside_a_stream_takes_its_status_from_the_body(body: dict, status: int, cls: type) -> None:
    error = error_from_body(None, body)
    assert type(error) is cls and error.status == status


def test_validation_required() -> None:
    body = {
        "error": {
            "code": 403,
            "message": "Verify",
            "status": "PERMISSION_DENIED",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "VALIDATION_REQUIRED",
                    "metadata": {"validation_url": "https://example.test/verify"},
                }
            ],
        }
    }
    error = error_from_body(403, body)
    assert isinstance(error, PermissionDeniedError) and error.validation_required
    assert error.metadata["validation_url"] == "https://example.test/verify"


def test_non_json_body_keeps_its_text() -> None:
    error = error_from_body(502, b"<html>Bad Gateway</html>")
    assert isinstance(error, ServerError) and error.status == 502
    assert "Bad Gateway" in error.message


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=20,
    ),
    st.sampled_from([None, 400, 401, 403, 404, 429, 500, 503]),
)
def test_factory_never_fails_on_any_json(body: object, status: int | None) -> None:
    error = error_from_body(status, json.dumps(body))
    assert error.status >= 400 and error.message


def test_every_error_type_of_the_client_has_its_advice() -> None:
    """Advice is chosen by type: a new error class without its own entry fails here."""
    from mcp_antigravity.antigravity import AntigravityError
    from mcp_antigravity.server.tools.errors import ADVICE

    def tree(root: type[AntigravityError]) -> set[type[AntigravityError]]:
        return {root}.union(*(tree(sub) for sub in root.__subclasses__()))

    assert tree(AntigravityError) == set(ADVICE)
