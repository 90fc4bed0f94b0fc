"""Thinking options per model family (pure table)."""

from __future__ import annotations

from typing import Any

import pytest

from mcp_antigravity.antigravity.models import model_info
from mcp_antigravity.antigravity.wire import to_wire
from mcp_antigravity.conversation.thinking import ThinkingError, thinking_config

ROWS: list[tuple[str, Any, bool, int | None, dict[str, Any] | None, int | None]] = [
    # model, thinking, include_thoughts, max_output_tokens -> thinkingConfig, maxOutputTokens
    ("claude-opus-4-6-thinking", "low", False, None, {"thinkingBudget": 2048}, 2048 + 8192),
    (
        "claude-opus-4-6-thinking",
        "high",
        True,
        500,
        {"thinkingBudget": 24576, "includeThoughts": True},
        25076,
    ),
    ("claude-opus-4-6-thinking", 5000, False, 100, {"thinkingBudget": 5000}, 5100),
    ("claude-opus-4-6-thinking", None, True, None, {"includeThoughts": True}, None),
    ("gemini-2.5-flash", "off", False, None, {"thinkingBudget": 0}, None),
    ("gemini-2.5-flash", "medium", False, 1000, {"thinkingBudget": 8192}, 9192),
    ("gemini-2.5-pro", 3000, True, None, {"thinkingBudget": 3000, "includeThoughts": True}, 3000 + 8192),
    ("gemini-3-flash", "off", False, None, {"thinkingLevel": "minimal"}, None),
    ("gemini-3-flash", "medium", True, 300, {"thinkingLevel": "medium", "includeThoughts": True}, 300),
    ("gemini-pro-agent", "high", False, None, {"thinkingLevel": "high"}, None),
    ("gemini-3.1-pro-low", 100, False, None, {"thinkingLevel": "low"}, None),
    ("gemini-3.1-pro-low", 10000, False, None, {"thinkingLevel": "medium"}, None),
    ("gemini-pro-agent", "medium", False, None, {"thinkingLevel": "medium"}, None),
    ("gemini-3-flash", 10000, False, None, {"thinkingLevel": "medium"}, None),
    ("claude-sonnet-4-6", "off", False, 50, None, 50),
    ("claude-sonnet-4-6", "low", False, None, {"thinkingBudget": 2048}, 2048 + 8192),
    # never past the model's own output limit (64000 for Claude 4.6): the budget gives way
    ("claude-opus-4-6-thinking", 64000, False, None, {"thinkingBudget": 62976}, 64000),
    ("claude-opus-4-6-thinking", "high", False, 60000, {"thinkingBudget": 24576}, 64000),
    ("gemini-3-flash", None, False, 100000, None, 65536),
    ("gemini-pro-agent", 8000, False, 70000, {"thinkingLevel": "medium"}, 65535),
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
        ("gpt-oss-120b-medium", "high", False, "does not think"),
        ("gpt-oss-120b-medium", None, True, "does not think"),
        ("claude-opus-4-6-thinking", "off", False, "always thinks"),
        ("gemini-2.5-pro", "off", False, "always thinks"),
        ("gemini-pro-agent", "off", False, "always thinks"),
        ("gemini-3.5-flash-low", "off", False, "always thinks"),
        ("gemini-3.1-flash-image", "high", False, "does not think"),
        ("claude-opus-4-6-thinking", 500, False, "at least 1024 tokens"),
    ],
)
def test_impossible_thinking_is_explained(model: str, thinking: Any, include: bool, message: str) -> None:
    with pytest.raises(ThinkingError, match=message):
        thinking_config(model_info(model), thinking, include, None)
