"""The models the emulator serves (the upstream's catalog of late 2026), and the retired ones.

Kept apart from the server's own catalog on purpose: the emulator stands for the upstream,
so it must not follow changes made to the client side. Facts from the reference, §0.4:

* served ids with display names, output limits and thinking styles; ids no longer encode
  the family (``gemini-pro-agent`` is Gemini 3.1 Pro);
* the newest models answer 404 to clients below the hub version floor (:data:`HUB_FLOOR`);
* retired ids answer 200 with the upstream's notice text instead of an answer, and
  ``fetchAvailableModels`` forwards them in ``deprecatedModelIds``;
* ``fetchAvailableModels`` also lists internal ids a client must not offer
  (:data:`INTERNAL_IDS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Family = Literal["claude", "gemini", "gpt-oss"]
HUB_FLOOR = "2.9.0"
"""Below this hub version, models marked ``newest`` answer 404 Requested entity was not found."""


@dataclass(frozen=True)
class EmulatedModel:
    id: str
    family: Family
    model_version: str
    display_name: str
    max_output_tokens: int = 65536
    thinking: Literal["none", "budget", "level"] = "none"
    levels: tuple[str, ...] = ()
    can_disable_thinking: bool = True
    image_output: bool = False
    newest: bool = False
    """Only for clients at or above the hub floor."""

    @property
    def gemini3(self) -> bool:
        """Gemini 3.x, whatever the id says (``gemini-pro-agent`` is 3.1 Pro): it signs its turns."""
        return self.family == "gemini" and self.model_version.startswith("gemini-3")


_PRO_LEVELS = ("low", "medium", "high")
_FLASH_LEVELS = ("minimal", "low", "medium", "high")


def _gemini(
    model_id: str,
    shown: str,
    version: str,
    levels: tuple[str, ...] = _FLASH_LEVELS,
    *,
    max_output: int = 65536,
    can_disable: bool = True,
    newest: bool = False,
) -> EmulatedModel:
    return EmulatedModel(
        model_id,
        "gemini",
        version,
        shown,
        max_output,
        "level",
        levels,
        can_disable_thinking=can_disable and "minimal" in levels,
        newest=newest,
    )


MODELS: dict[str, EmulatedModel] = {
    m.id: m
    for m in (
        EmulatedModel(
            "claude-opus-4-6-thinking",
            "claude",
            "claude-opus-4-6",
            "Claude Opus 4.6 (Thinking)",
            64000,
            "budget",
            can_disable_thinking=False,
        ),
        EmulatedModel(
            "claude-sonnet-4-6",
            "claude",
            "claude-sonnet-4-6",
            "Claude Sonnet 4.6 (Thinking)",
            64000,
            "budget",
        ),
        _gemini("gemini-pro-agent", "Gemini 3.1 Pro (High)", "gemini-3.1-pro", _PRO_LEVELS, max_output=65535),
        _gemini(
            "gemini-3.1-pro-low", "Gemini 3.1 Pro (Low)", "gemini-3.1-pro", _PRO_LEVELS, max_output=65535
        ),
        _gemini("gemini-3-flash", "Gemini 3 Flash", "gemini-3-flash-preview"),
        _gemini("gemini-3-flash-agent", "Gemini 3.5 Flash (High)", "gemini-3.5-flash"),
        _gemini(
            "gemini-3.5-flash-low",
            "Gemini 3.5 Flash (Medium)",
            "gemini-3.5-flash",
            _PRO_LEVELS,
            max_output=65535,
        ),
        _gemini(
            "gemini-3.5-flash-extra-low",
            "Gemini 3.5 Flash (Low)",
            "gemini-3.5-flash",
            _PRO_LEVELS,
            max_output=65535,
        ),
        _gemini("gemini-3.6-flash-high", "Gemini 3.6 Flash (High)", "gemini-3.6-flash"),
        _gemini("gemini-3.7-flash-high", "Gemini 3.7 Flash (High)", "gemini-3.7-flash", newest=True),
        _gemini("gemini-3.8-flash-high", "Gemini 3.8 Flash (High)", "gemini-3.8-flash", newest=True),
        _gemini("gemini-3.1-flash-lite", "Gemini 3.1 Flash Lite", "gemini-3.1-flash-lite", max_output=65535),
        EmulatedModel(
            "gemini-3.1-flash-image",
            "gemini",
            "gemini-3.1-flash-image",
            "Gemini 3.1 Flash Image",
            32768,
            image_output=True,
        ),
        EmulatedModel(
            "gemini-3-pro-image",
            "gemini",
            "gemini-3-pro-image-preview",
            "Gemini 3 Pro Image",
            32768,
            image_output=True,
        ),
        EmulatedModel("gpt-oss-120b-medium", "gpt-oss", "gpt-oss-120b", "GPT-OSS 120B (Medium)", 32768),
    )
}


@dataclass(frozen=True)
class Retired:
    display_name: str
    successor: str


RETIRED: dict[str, Retired] = {
    "claude-sonnet-4-5": Retired("Claude Sonnet 4.5", "claude-sonnet-4-6"),
    "claude-sonnet-4-5-thinking": Retired("Claude Sonnet 4.5 (Thinking)", "claude-sonnet-4-6"),
    "claude-opus-4-5-thinking": Retired("Claude Opus 4.5 (Thinking)", "claude-opus-4-6-thinking"),
    "gemini-2.5-flash": Retired("Gemini 2.5 Flash", "gemini-3-flash"),
    "gemini-2.5-flash-lite": Retired("Gemini 2.5 Flash Lite", "gemini-3.1-flash-lite"),
    "gemini-2.5-flash-image": Retired("Gemini 2.5 Flash Image", "gemini-3.1-flash-image"),
    "gemini-3-pro-low": Retired("Gemini 3 Pro (Low)", "gemini-3.1-pro-low"),
    "gemini-3-pro-high": Retired("Gemini 3 Pro (High)", "gemini-pro-agent"),
    "gemini-3.1-pro-high": Retired("Gemini 3.1 Pro (High)", "gemini-pro-agent"),
}

INTERNAL_IDS = ("chat_20706", "chat_23310", "tab_flash_lite_preview")


def retirement_notice(model_id: str) -> str:
    """The upstream's text, answered with status 200, for a retired model."""
    retired = RETIRED[model_id]
    successor = MODELS[retired.successor].display_name
    return (
        f"{retired.display_name} is no longer available. Please switch to {successor} in the latest version "
        "of Antigravity."
    )
