"""``thinking`` and ``include_thoughts`` → the upstream's thinkingConfig, per model family (pure).

* ``off``: no thinking config for Claude; Gemini 2.5 budget 0; Gemini 3 flash level ``minimal``;
  models that cannot stop thinking (Claude ``*-thinking``, Gemini 3.x Pro) say so.
* ``low`` / ``medium`` / ``high``: a level on Gemini 3 (only the levels that model accepts);
  a budget of 2048 / 8192 / 24576 tokens on budget models.
* a number: a token budget on budget models; on Gemini 3, the nearest level it accepts.
* Budget models need ``maxOutputTokens`` above the budget: the request asks for the budget
  plus ``max_output_tokens`` (8192 when not given), so the answer keeps its own room.
* Nothing asks for more than the model's own output limit (from the live catalog): the answer
  keeps its room where it can (at least a quarter of the limit, at most 1024 tokens less than
  asked), and the budget gives way, always staying below ``maxOutputTokens``.
* Claude budgets are at least 1024 tokens.
* ``thinkingBudget`` and ``thinkingLevel`` are never sent together.
* Models that do not think take neither option.
"""

from __future__ import annotations

from typing import Literal

from ..antigravity.models import ModelInfo
from ..antigravity.wire import ThinkingConfig
from .errors import ConversationError

ThinkingLevel = Literal["off", "low", "medium", "high"]
BUDGETS = {"low": 2048, "medium": 8192, "high": 24576}
DEFAULT_ANSWER_TOKENS = 8192
_LEVEL_ORDER = ("minimal", "low", "medium", "high")
_LEVEL_CEILINGS = ((512, "minimal"), (4096, "low"), (16384, "medium"))


class ThinkingError(ConversationError, ValueError):
    """The model cannot think that way; the message says what it accepts."""


def _level_for_budget(budget: int) -> str:
    return next((level for ceiling, level in _LEVEL_CEILINGS if budget <= ceiling), "high")


def _nearest(level: str, accepted: tuple[str, ...]) -> str:
    wanted = _LEVEL_ORDER.index(level)
    return min(accepted, key=lambda a: (abs(_LEVEL_ORDER.index(a) - wanted), -_LEVEL_ORDER.index(a)))


def fit_budget(budget: int, answer: int, ceiling: int | None) -> tuple[int, int]:
    """(budget, maxOutputTokens) within ``ceiling``: budget + answer never more, budget always less."""
    if ceiling is None or budget + answer <= ceiling:
        return budget, budget + answer
    answer = min(answer, max(ceiling - budget, min(1024, ceiling // 4)))
    return min(budget, ceiling - answer), ceiling


def thinking_config(
    model: ModelInfo,
    thinking: ThinkingLevel | int | None,
    include_thoughts: bool,
    max_output_tokens: int | None,
) -> tuple[ThinkingConfig | None, int | None]:
    """The thinkingConfig to send (or None) and the maxOutputTokens to send with it."""
    ceiling = model.max_output_tokens
    if max_output_tokens is not None and ceiling is not None:
        max_output_tokens = min(max_output_tokens, ceiling)
    if model.thinking == "none":
        if thinking not in (None, "off") or include_thoughts:
            raise ThinkingError(
                f"Model {model.id} does not think, so thinking and include_thoughts do not apply"
                + (f"; use {model.id}-thinking" if model.family == "claude" else "")
                + "."
            )
        return None, max_output_tokens
    include = True if include_thoughts else None
    if thinking is None:
        return (ThinkingConfig(include_thoughts=True) if include_thoughts else None), max_output_tokens
    if thinking == "off" and not model.can_disable_thinking:
        raise ThinkingError(f"Model {model.id} always thinks; choose low, medium, high or a budget.")
    if thinking == "off" and model.family == "claude":
        return None, max_output_tokens  # Claude thinks only when given a budget
    if model.thinking == "level":
        if thinking == "off":
            if "minimal" not in model.levels:
                raise ThinkingError(
                    f"Model {model.id} always thinks; its levels are {', '.join(model.levels)}."
                )
            level = "minimal"
        elif isinstance(thinking, int):
            level = _nearest(_level_for_budget(thinking), model.levels)
        elif thinking in model.levels:
            level = thinking
        else:
            raise ThinkingError(
                f"Model {model.id} takes thinking {' or '.join(model.levels)}, not {thinking}."
            )
        return ThinkingConfig(thinking_level=level, include_thoughts=include), max_output_tokens
    budget = 0 if thinking == "off" else thinking if isinstance(thinking, int) else BUDGETS[thinking]
    if budget == 0:
        return ThinkingConfig(thinking_budget=0), max_output_tokens
    if model.family == "claude" and budget < 1024:
        raise ThinkingError(f"Model {model.id} takes a thinking budget of at least 1024 tokens.")
    budget, max_output = fit_budget(budget, max_output_tokens or DEFAULT_ANSWER_TOKENS, ceiling)
    return ThinkingConfig(thinking_budget=budget, include_thoughts=include), max_output
