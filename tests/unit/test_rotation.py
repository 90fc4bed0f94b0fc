"""What a failure says about its account (``antigravity/rotation.py``), from real error bodies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from mcp_antigravity.antigravity import AuthenticationError, RefreshTokenDead, error_from_body
from mcp_antigravity.antigravity.errors import AntigravityConnectionError, AntigravityError
from mcp_antigravity.antigravity.rotation import UNKNOWN_RESET, Cool, Mark, Move, verdict
from mcp_antigravity.emulator.accounts import SUSPENDED, VERIFY_URL
from mcp_antigravity.emulator.faults import Fault

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC).timestamp()


def body(status: int, message: str, *details: dict[str, Any]) -> dict[str, Any]:
    return {"error": {"code": status, "message": message, "details": list(details)}}


def info(reason: str, **metadata: str) -> dict[str, Any]:
    return {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason, "metadata": metadata}


def retry(delay: str) -> dict[str, Any]:
    return {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}


def status_error(status: int, payload: dict[str, Any]) -> AntigravityError:
    return error_from_body(status, payload)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        # QUOTA_EXHAUSTED: cooled until the reset the upstream names: the timestamp first...
        (
            status_error(
                429,
                body(
                    429,
                    "Individual quota reached.",
                    retry("256527.79s"),
                    info(
                        "QUOTA_EXHAUSTED",
                        quotaResetDelay="71h15m27s",
                        quotaResetTimeStamp="2026-12-05T09:15:27Z",
                    ),
                ),
            ),
            Cool(datetime(2026, 12, 5, 9, 15, 27, tzinfo=UTC).timestamp(), "quota exhausted", spent=True),
        ),
        # ... then the delay, then RetryInfo, then an hour
        (
            status_error(429, body(429, "quota", info("QUOTA_EXHAUSTED", quotaResetDelay="2h"))),
            Cool(NOW + 7200, "quota exhausted", spent=True),
        ),
        (
            status_error(429, body(429, "quota", retry("90s"), info("QUOTA_EXHAUSTED"))),
            Cool(NOW + 90, "quota exhausted", spent=True),
        ),
        (
            status_error(429, body(429, "quota", info("QUOTA_EXHAUSTED"))),
            Cool(NOW + UNKNOWN_RESET, "quota exhausted", spent=True),
        ),
        # RATE_LIMIT_EXCEEDED: short delays are waited out on the account, longer ones cool it
        (status_error(429, body(429, "slow down", retry("1.5s"), info("RATE_LIMIT_EXCEEDED"))), None),
        (status_error(429, body(429, "slow down", info("RATE_LIMIT_EXCEEDED"))), None),
        (
            status_error(429, body(429, "slow down", retry("20s"), info("RATE_LIMIT_EXCEEDED"))),
            Cool(NOW + 20, "rate limited", soft=True),
        ),
        (
            status_error(429, body(429, "slow down", retry("600s"), info("RATE_LIMIT_EXCEEDED"))),
            Cool(NOW + 600, "rate limited for a long while", spent=True),
        ),
        # a bare 429 is not the account's limit
        (status_error(429, body(429, "Resource has been exhausted (e.g. check quota).")), None),
        # 403s: verification (with its link), suspension; others are not the account's
        (
            status_error(
                403,
                body(
                    403,
                    "Verify your account to continue.",
                    info(
                        "VALIDATION_REQUIRED",
                        validation_url=VERIFY_URL,
                        validation_error_message="Verify it.",
                    ),
                ),
            ),
            Mark("needs_verification", "Verify it.", VERIFY_URL),
        ),
        (
            status_error(
                403,
                body(
                    403,
                    "Verify at https://accounts.google.com/signin/v2?x=1 please",
                    info("VALIDATION_REQUIRED"),
                ),
            ),
            Mark(
                "needs_verification",
                "Verify at https://accounts.google.com/signin/v2?x=1 please",
                "https://accounts.google.com/signin/v2?x=1",
            ),
        ),
        (status_error(403, body(403, SUSPENDED)), Mark("suspended", SUSPENDED)),
        (
            status_error(403, body(403, "Sorry, this account is ineligible to use Antigravity")),
            Mark("suspended", "Sorry, this account is ineligible to use Antigravity"),
        ),
        (status_error(403, body(403, "Permission denied on project 'x'.")), None),
        # a dead refresh token disables; a 401 (after renewal) moves without marking
        (RefreshTokenDead("invalid_grant"), Mark("token_dead", "invalid_grant")),
        (
            status_error(401, body(401, "Request had invalid authentication credentials.")),
            Move("the access token was refused after renewing it"),
        ),
        # not the account: the endpoint rules decide
        (status_error(503, body(503, "No capacity available", info("MODEL_CAPACITY_EXHAUSTED"))), None),
        (status_error(400, body(400, "bad request")), None),
        (AntigravityConnectionError("refused"), None),
    ],
)
def test_verdict(error: AntigravityError, expected: object) -> None:
    assert verdict(error, now=NOW) == expected


def test_the_emulators_quota_error_reads_as_a_cooldown_to_its_reset() -> None:
    error = Fault("rate_limit", reason="QUOTA_EXHAUSTED", reset="3h0m0s", retry_delay="10800s").error("m")
    said = verdict(error_from_body(error.status, error.body()), now=datetime.now(UTC).timestamp())
    assert isinstance(said, Cool) and said.reason == "quota exhausted"
    assert abs(said.until - (datetime.now(UTC).timestamp() + 10800)) < 5


def test_401_is_an_authentication_error() -> None:
    assert isinstance(status_error(401, body(401, "x")), AuthenticationError)
