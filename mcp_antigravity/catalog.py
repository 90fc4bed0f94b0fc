"""The models the server knows about, as data. The upstream's list changes: this is a hint for
callers and error messages, never a gate (an unknown id is still sent, and a 404 says so)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Family = Literal["claude", "gemini", "gpt-oss"]


@dataclass(frozen=True)
class ModelInfo:
    id: str
    family: Family
    thinking: bool = False
    image_output: bool = False


KNOWN_MODELS: tuple[ModelInfo, ...] = (
    ModelInfo("claude-sonnet-4-5", "claude"),
    ModelInfo("claude-sonnet-4-5-thinking", "claude", thinking=True),
    ModelInfo("claude-opus-4-5-thinking", "claude", thinking=True),
    ModelInfo("claude-sonnet-4-6", "claude"),
    ModelInfo("claude-opus-4-6-thinking", "claude", thinking=True),
    ModelInfo("gemini-3-pro-low", "gemini", thinking=True),
    ModelInfo("gemini-3-pro-high", "gemini", thinking=True),
    ModelInfo("gemini-3-flash", "gemini", thinking=True),
    ModelInfo("gemini-2.5-flash", "gemini", thinking=True),
    ModelInfo("gemini-2.5-pro", "gemini", thinking=True),
    ModelInfo("gemini-3-pro-image", "gemini", image_output=True),
    ModelInfo("gemini-2.5-flash-image", "gemini", image_output=True),
    ModelInfo("gpt-oss-120b-medium", "gpt-oss"),
)


def text_model_ids() -> list[str]:
    return [m.id for m in KNOWN_MODELS if not m.image_output]
