"""The models the emulator serves, with the per-family facts its replies depend on.

Kept apart from the server's own catalog on purpose: the emulator stands for the upstream,
so it must not follow changes made to the client side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Family = Literal["claude", "gemini", "gpt-oss"]


@dataclass(frozen=True)
class EmulatedModel:
    id: str
    family: Family
    model_version: str
    thinking: Literal["none", "budget", "level"] = "none"
    levels: tuple[str, ...] = ()
    can_disable_thinking: bool = True
    image_output: bool = False


_GEMINI3_PRO_LEVELS = ("low", "high")
_GEMINI3_FLASH_LEVELS = ("minimal", "low", "medium", "high")

MODELS: dict[str, EmulatedModel] = {
    m.id: m
    for m in (
        EmulatedModel("claude-sonnet-4-5", "claude", "claude-sonnet-4-5"),
        EmulatedModel(
            "claude-sonnet-4-5-thinking", "claude", "claude-sonnet-4-5-thinking", thinking="budget"
        ),
        EmulatedModel("claude-opus-4-5-thinking", "claude", "claude-opus-4-5-thinking", thinking="budget"),
        EmulatedModel("claude-sonnet-4-6", "claude", "claude-sonnet-4-6"),
        EmulatedModel("claude-opus-4-6-thinking", "claude", "claude-opus-4-6-thinking", thinking="budget"),
        EmulatedModel(
            "gemini-3-pro-low",
            "gemini",
            "gemini-3-pro-preview",
            thinking="level",
            levels=_GEMINI3_PRO_LEVELS,
            can_disable_thinking=False,
        ),
        EmulatedModel(
            "gemini-3-pro-high",
            "gemini",
            "gemini-3-pro-preview",
            thinking="level",
            levels=_GEMINI3_PRO_LEVELS,
            can_disable_thinking=False,
        ),
        EmulatedModel(
            "gemini-3-flash",
            "gemini",
            "gemini-3-flash-preview",
            thinking="level",
            levels=_GEMINI3_FLASH_LEVELS,
        ),
        EmulatedModel("gemini-2.5-flash", "gemini", "gemini-2.5-flash", thinking="budget"),
        EmulatedModel(
            "gemini-2.5-pro", "gemini", "gemini-2.5-pro", thinking="budget", can_disable_thinking=False
        ),
        EmulatedModel("gemini-3-pro-image", "gemini", "gemini-3-pro-image-preview", image_output=True),
        EmulatedModel("gemini-2.5-flash-image", "gemini", "gemini-2.5-flash-image", image_output=True),
        EmulatedModel("gpt-oss-120b-medium", "gpt-oss", "gpt-oss-120b"),
    )
}
