"""Thinking options per model family (pure table)."""

from __future__ import annotations

from typing import Any

import pytest

from mcp_antigravity.antigravity.wire import to_wire
from mcp_antigravity.catalog import model_info
from mcp_antigravity.thinking import ThinkingError, thinking_config

ROWS: list[tuple[str, Any, bool, int | None, dict[str, Any] | None, int | None]] = [
    # model, thinking, include_thoughts, max_output_tokens -> thinkingConfig, maxOutputTokens
    ("claude-sonnet-4-5-thinking", "low", False, None, {"thinkingBudget": 2048}, 2048 + 8192),
    (
        "claude-opus-4-5-thinking",
        "high",
        True,
        500,
        {"thinkingBudget": 24576, "includeThoughts": True},
        25076,
    ),
    ("claude-sonnet-4-5-thinking", 5000, False, 100, {"thinkingBudget": 5000}, 5100),
    ("claude-sonnet-4-5-thinking", None, True, None, {"includeThoughts": True}, None),
    ("gemini-2.5-flash", "off", False, None, {"thinkingBudget": 0}, None),
    ("gemini-2.5-flash", "medium", False, 1000, {"thinkingBudget": 8192}, 9192),
    ("gemini-2.5-pro", 3000, True, None, {"thinkingBudget": 3000, "includeThoughts": True}, 3000 + 8192),
    ("gemini-3-flash", "off", False, None, {"thinkingLevel": "minimal"}, None),
    ("gemini-3-flash", "medium", True, 300, {"thinkingLevel": "medium", "includeThoughts": True}, 300),
    ("gemini-3-pro-high", "high", False, None, {"thinkingLevel": "high"}, None),
    ("gemini-3-pro-low", 100, False, None, {"thinkingLevel": "low"}, None),
    ("gemini-3-pro-low", 10000, False, None, {"thinkingLevel": "high"}, None),
    ("gemini-3-flash", 10000, False, None, {"thinkingLevel": "medium"}, None),
    ("claude-sonnet-4-5", "off", False, 50, None, 50),
    ("gpt-oss-120b-medium", None, False, None, None, None),
    ("gemini-3-flash-preview-99", "low", False, None, {"thinkingLevel": "low"}, None),  # inferred from the id
]


@pytest.mark.parametrize(
    ("model", "thinking", "include", "max_tokens", "config", "max_out"),
    ROWS,
    ids=[f"{r[0]}-{r[1]}-{r[2]}" for r in ROWS],
)
def test_thinking_mapping(
    model: str,
    thinking: Any,
    include: bool,
    max_tokens: int | None,
    config: dict[str, Any] | None,
    max_out: int | None,
) -> None:
    produced, max_output = thinking_config(model_info(model), thinking, include, max_tokens)
    assert (to_wire(produced) if produced else None) == config
    assert max_output == max_out
    if produced is not None:
        assert not (produced.thinking_budget is not None and produced.thinking_level is not None)


@pytest.mark.parametrize(
    ("model", "thinking", "include", "message"),
    [
        ("claude-sonnet-4-5", "high", False, "does not think.*; use claude-sonnet-4-5-thinking"),
        ("gpt-oss-120b-medium", None, True, "does not think"),
        ("claude-sonnet-4-5-thinking", "off", False, "always thinks"),
        ("gemini-2.5-pro", "off", False, "always thinks"),
        ("gemini-3-pro-high", "off", False, "always thinks"),
        ("gemini-3-pro-high", "medium", False, "takes thinking low or high, not medium"),
        ("claude-opus-4-5-thinking", 500, False, "at least 1024 tokens"),
    ],
)
def test_impossible_thinking_is_explained(model: str, thinking: Any, include: bool, message: str) -> None:
    with pytest.raises(ThinkingError, match=message):
        thinking_config(model_info(model), thinking, include, None)
