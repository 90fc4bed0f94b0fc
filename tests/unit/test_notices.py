"""Upstream notices where an answer should be: the recogniser on the real texts (reference §0.1, §0.4)."""

from __future__ import annotations

import pytest

from mcp_antigravity.antigravity.notices import Notice, read_notice

REAL = [
    (
        "Claude Sonnet 4.5 is no longer available. Please switch to Claude Sonnet 4.6 in the latest version of "
        "Antigravity.",
        Notice("retired", "", "Claude Sonnet 4.5", "Claude Sonnet 4.6"),
    ),
    (
        "Gemini 3.5 Flash is no longer available. Please switch to Gemini 3.7 Flash",
        Notice("retired", "", "Gemini 3.5 Flash", "Gemini 3.7 Flash"),
    ),
    (
        "  Gemini 3 Pro (High) is no longer available.  Please switch to Gemini 3.1 Pro (High) in the latest "
        "version of Antigravity!\n",
        Notice("retired", "", "Gemini 3 Pro (High)", "Gemini 3.1 Pro (High)"),
    ),
    (
        "This version of Antigravity is no longer supported. Please update to receive the latest features!",
        Notice("version", ""),
    ),
    (
        "Your current version of Antigravity is out of date. Please visit https://antigravity.google/download to "
        "download and install the latest version.",
        Notice("version", ""),
    ),
    (
        "Gemini 3.1 Pro is not available on this version. Please upgrade to the latest version.",
        Notice("version", ""),
    ),
]


@pytest.mark.parametrize(("text", "expected"), REAL, ids=[t[:40] for t, _ in REAL])
def test_real_notices_are_recognised(text: str, expected: Notice) -> None:
    notice = read_notice(text)
    assert notice is not None
    assert (notice.kind, notice.model, notice.successor) == (
        expected.kind,
        expected.model,
        expected.successor,
    )
    assert notice.text == text.strip()


@pytest.mark.parametrize(
    "text",
    [
        "Echo: hi",
        "",
        "The old API is no longer available; please switch to the new one, as the docs say.\n" * 3,
        "Here is what the error means: 'This version of Antigravity is no longer supported' means update. "
        * 10,
        "Python 2 is no longer available on this server.",
    ],
)
def test_answers_are_not_notices(text: str) -> None:
    assert read_notice(text) is None
