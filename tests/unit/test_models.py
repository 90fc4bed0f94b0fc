"""The model catalog: the upstream's live answer read, merged with the built-in table (pure tables)."""

from __future__ import annotations

from typing import Any

import pytest

from mcp_antigravity.antigravity.available import AvailableModel, AvailableModels, read_available_models
from mcp_antigravity.antigravity.models import merge, model_info, resolve, text_model_ids

LIVE = read_available_models(
    {
        "models": {
            "gemini-3-flash": {
                "displayName": "Gemini 3 Flash",
                "recommended": True,
                "quotaInfo": {"remainingFraction": 0.35, "resetTime": "2026-12-01T14:05:00Z"},
                "maxOutputTokens": 65536,
                "maxTokens": 1048576,
                "supportsThinking": True,
            },
            "gemini-3.7-flash-high": {"displayName": "Gemini 3.7 Flash (High)", "maxOutputTokens": 65536},
            "gemini-3.7-flash-low": {"displayName": "Gemini 3.7 Flash (Low)"},
            "claude-sonnet-4-6": {"displayName": "Claude Sonnet 4.6 (Thinking)", "maxOutputTokens": "32000"},
            "gemini-9-ultra": {
                "displayName": "Gemini 9 Ultra",
                "quotaInfo": {"resetTime": "2026-12-02T00:00:00Z"},
            },
            "chat_20706": {"displayName": "internal"},
            "tab_flash_lite_preview": {},
            "gemini-2.5-pro": {},
            "odd": "not an object",
        },
        "deprecatedModelIds": {
            "claude-sonnet-4-5": {"newModelId": "claude-sonnet-4-6"},
            "gemini-3-pro-high": {"newModelId": "gemini-3.1-pro-high"},
            "gemini-3.1-pro-high": {"newModelId": "gemini-pro-agent"},
            "loop-a": {"newModelId": "loop-b"},
            "loop-b": {"newModelId": "loop-a"},
            "self": {"newModelId": "self"},
            "broken": "x",
        },
    }
)


def test_the_live_answer_is_read_defensively() -> None:
    assert set(LIVE.models) == {
        "gemini-3-flash",
        "gemini-3.7-flash-high",
        "gemini-3.7-flash-low",
        "claude-sonnet-4-6",
        "gemini-9-ultra",
    }  # internal ids and odd entries dropped
    flash = LIVE.models["gemini-3-flash"]
    assert (flash.remaining_fraction, flash.reset_time, flash.max_output_tokens) == (
        0.35,
        "2026-12-01T14:05:00Z",
        65536,
    )
    assert flash.recommended and flash.supports_thinking and flash.context_tokens == 1048576
    assert LIVE.models["gemini-9-ultra"].remaining_fraction == 0.0  # quota without a fraction: used up
    assert LIVE.models["gemini-3.7-flash-high"].remaining_fraction is None  # no quota given at all
    assert LIVE.models["claude-sonnet-4-6"].max_output_tokens == 32000
    assert read_available_models("nonsense") == AvailableModels()


@pytest.mark.parametrize(
    ("requested", "successor"),
    [
        ("claude-sonnet-4-5", "claude-sonnet-4-6"),
        ("gemini-3-pro-high", "gemini-pro-agent"),  # through a chain of renames
        ("gemini-3-flash", None),
        ("loop-a", None),  # a loop in the upstream's data forwards nowhere
        ("self", None),
        ("broken", None),
    ],
)
def test_retired_ids_are_forwarded(requested: str, successor: str | None) -> None:
    assert LIVE.successor(requested) == successor
    resolved = resolve(requested, LIVE)
    assert resolved.id == (successor or requested)
    assert resolved.forwarded_from == (requested if successor else None)


def test_display_names_lead_to_ids() -> None:
    assert LIVE.by_display_name("Gemini 3 Flash") == "gemini-3-flash"
    assert LIVE.by_display_name("Gemini 3.7 Flash") == "gemini-3.7-flash-high"  # the (High) variant first
    assert LIVE.by_display_name("Claude Opus 9") is None


ROWS: list[tuple[str, AvailableModel | None, dict[str, Any]]] = [
    # live wins for names and limits; the built-in table fills thinking and signatures
    (
        "claude-sonnet-4-6",
        LIVE.models["claude-sonnet-4-6"],
        {
            "family": "claude",
            "thinking": "budget",
            "max_output_tokens": 32000,
            "display_name": "Claude Sonnet 4.6 (Thinking)",
        },
    ),
    ("claude-sonnet-4-6", None, {"max_output_tokens": 64000, "display_name": None}),
    (
        "gemini-3-flash",
        LIVE.models["gemini-3-flash"],
        {"thinking": "level", "levels": ("minimal", "low", "medium", "high"), "call_signatures": True},
    ),
    # unknown ids, inferred by family rather than by a "gemini-3" prefix
    (
        "gemini-pro-agent",
        None,
        {"family": "gemini", "thinking": "level", "call_signatures": True, "can_disable_thinking": False},
    ),
    (
        "gemini-9-ultra",
        LIVE.models["gemini-9-ultra"],
        {"thinking": "level", "call_signatures": True, "display_name": "Gemini 9 Ultra"},
    ),
    ("gemini-pro-agent-next", None, {"levels": ("low", "medium", "high"), "call_signatures": True}),
    (
        "gemini-2.5-flash",
        None,
        {"thinking": "budget", "call_signatures": False, "can_disable_thinking": True},
    ),
    ("gemini-2.5-pro", None, {"thinking": "budget", "can_disable_thinking": False}),
    ("gemini-4-flash-image", None, {"image_output": True, "thinking": "none", "call_signatures": True}),
    (
        "claude-opus-5-thinking",
        None,
        {"family": "claude", "thinking": "budget", "can_disable_thinking": False},
    ),
    ("claude-haiku-5", None, {"family": "claude", "thinking": "budget", "can_disable_thinking": True}),
    ("gpt-oss-240b", None, {"family": "gpt-oss", "thinking": "none"}),
    ("mystery", None, {"family": "other", "thinking": "none"}),
]


@pytest.mark.parametrize(
    ("model_id", "live", "expected"), ROWS, ids=[f"{r[0]}-{'live' if r[1] else 'built-in'}" for r in ROWS]
)
def test_live_data_and_the_built_in_table_merge(
    model_id: str, live: AvailableModel | None, expected: dict[str, Any]
) -> None:
    info = merge(model_id, live)
    assert {key: getattr(info, key) for key in expected} == expected
    assert info.id == model_id


def test_the_built_in_table_has_no_retired_ids() -> None:
    for retired in ("claude-sonnet-4-5", "claude-opus-4-5-thinking", "gemini-2.5-flash", "gemini-3-pro-high"):
        assert retired not in text_model_ids()
    assert model_info("gemini-pro-agent").needs_call_signatures


def test_suggestions_come_from_the_live_catalog_when_read() -> None:
    assert text_model_ids(LIVE) == sorted(LIVE.models)
    assert "gemini-3-flash" in text_model_ids()
