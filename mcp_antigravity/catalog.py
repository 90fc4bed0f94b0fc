"""The models the server knows about, as data: family, thinking style, signatures.

The upstream's list changes: this is a hint for callers, error messages and thinking options,
never a gate. An id missing here is still sent; its family is inferred from its name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Family = Literal["claude", "gemini", "gpt-oss", "other"]
ThinkingStyle = Literal["none", "budget", "level"]


@dataclass(frozen=True)
class ModelInfo:
    id: str
    family: Family
    thinking: ThinkingStyle = "none"
    """How thinking is set: a token budget (Claude *-thinking, Gemini 2.5), a level (Gemini 3), or not at all."""
    levels: tuple[str, ...] = ()
    can_disable_thinking: bool = True
    image_output: bool = False

    @property
    def needs_call_signatures(self) -> bool:
        """Gemini 3 rejects a function-call turn whose first call carries no thought signature."""
        return self.id.startswith("gemini-3")


_PRO_LEVELS = ("low", "high")
_FLASH_LEVELS = ("minimal", "low", "medium", "high")

KNOWN_MODELS: tuple[ModelInfo, ...] = (
    ModelInfo("claude-sonnet-4-5", "claude"),
    ModelInfo("claude-sonnet-4-5-thinking", "claude", "budget", can_disable_thinking=False),
    ModelInfo("claude-opus-4-5-thinking", "claude", "budget", can_disable_thinking=False),
    ModelInfo("claude-sonnet-4-6", "claude"),
    ModelInfo("claude-opus-4-6-thinking", "claude", "budget", can_disable_thinking=False),
    ModelInfo("gemini-3-pro-low", "gemini", "level", _PRO_LEVELS, can_disable_thinking=False),
    ModelInfo("gemini-3-pro-high", "gemini", "level", _PRO_LEVELS, can_disable_thinking=False),
    ModelInfo("gemini-3-flash", "gemini", "level", _FLASH_LEVELS),
    ModelInfo("gemini-2.5-flash", "gemini", "budget"),
    ModelInfo("gemini-2.5-pro", "gemini", "budget", can_disable_thinking=False),
    ModelInfo("gemini-3-pro-image", "gemini", image_output=True),
    ModelInfo("gemini-2.5-flash-image", "gemini", image_output=True),
    ModelInfo("gpt-oss-120b-medium", "gpt-oss"),
)
_BY_ID = {m.id: m for m in KNOWN_MODELS}


def model_info(model_id: str) -> ModelInfo:
    """The catalog entry, or one inferred from the id's shape for models the catalog lacks."""
    if model_id in _BY_ID:
        return _BY_ID[model_id]
    if model_id.startswith("claude-"):
        thinking: ThinkingStyle = "budget" if model_id.endswith("-thinking") else "none"
        return ModelInfo(model_id, "claude", thinking, can_disable_thinking=thinking == "none")
    if model_id.startswith("gemini-3"):
        return ModelInfo(model_id, "gemini", "level", _PRO_LEVELS if "pro" in model_id else _FLASH_LEVELS)
    if model_id.startswith("gemini-"):
        return ModelInfo(model_id, "gemini", "budget")
    if model_id.startswith("gpt-oss"):
        return ModelInfo(model_id, "gpt-oss")
    return ModelInfo(model_id, "other")


def text_model_ids() -> list[str]:
    return [m.id for m in KNOWN_MODELS if not m.image_output]
