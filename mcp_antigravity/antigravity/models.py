"""The models the server knows about: the upstream's live catalog, with a built-in table for what it lacks.

The upstream's ``fetchAvailableModels`` (:mod:`.antigravity.available`) is the source of truth
for which ids exist, their display names, output limits and quota, and where retired ids
lead. It says nothing about how a model thinks or which turns it wants signed, so this
table fills those gaps (pure, tested by a table):

* live data wins: an id in the live catalog is offered with the upstream's name and limits;
* a built-in entry gives the family, thinking style and levels, whether thinking can be
  switched off, and whether function calls must carry thought signatures;
* an id in neither is inferred by family, not by the shape of a version number: every
  Gemini id that is not 2.x is Gemini 3 or later (``gemini-pro-agent`` is Gemini 3.1 Pro and
  needs call signatures), every ``claude-*`` id thinks on a budget;
* :func:`resolve` forwards a retired id to its successor (``deprecatedModelIds``) and says so.

Nothing here gates a call: an id missing everywhere is still sent, and the upstream decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

from .available import AvailableModel, AvailableModels

Family = Literal["claude", "gemini", "gpt-oss", "other"]
ThinkingStyle = Literal["none", "budget", "level"]


@dataclass(frozen=True)
class ModelInfo:
    id: str
    family: Family
    thinking: ThinkingStyle = "none"
    """How thinking is set: a token budget (Claude), a level (Gemini 3), or not at all."""
    levels: tuple[str, ...] = ()
    can_disable_thinking: bool = True
    image_output: bool = False
    call_signatures: bool = False
    """Gemini 3 rejects a function-call turn whose first call carries no thought signature."""
    display_name: str | None = None
    max_output_tokens: int | None = None

    @property
    def needs_call_signatures(self) -> bool:
        return self.call_signatures


_PRO_LEVELS = ("low", "medium", "high")
_FLASH_LEVELS = ("minimal", "low", "medium", "high")


def _gemini3(model_id: str, levels: tuple[str, ...] = _FLASH_LEVELS, max_output: int = 65536) -> ModelInfo:
    return ModelInfo(
        model_id,
        "gemini",
        "level",
        levels,
        can_disable_thinking="minimal" in levels,
        call_signatures=True,
        max_output_tokens=max_output,
    )


BUILT_IN: tuple[ModelInfo, ...] = (
    ModelInfo(
        "claude-opus-4-6-thinking", "claude", "budget", can_disable_thinking=False, max_output_tokens=64000
    ),
    ModelInfo("claude-sonnet-4-6", "claude", "budget", max_output_tokens=64000),
    _gemini3("gemini-pro-agent", _PRO_LEVELS, 65535),
    _gemini3("gemini-3.1-pro-low", _PRO_LEVELS, 65535),
    _gemini3("gemini-3-flash"),
    _gemini3("gemini-3-flash-agent"),
    _gemini3("gemini-3.5-flash-low", _PRO_LEVELS, 65535),
    _gemini3("gemini-3.5-flash-extra-low", _PRO_LEVELS, 65535),
    _gemini3("gemini-3.6-flash-high"),
    _gemini3("gemini-3.7-flash-high"),
    _gemini3("gemini-3.1-flash-lite", _FLASH_LEVELS, 65535),
    ModelInfo("gemini-3.1-flash-image", "gemini", image_output=True, call_signatures=True),
    ModelInfo("gemini-3-pro-image", "gemini", image_output=True, call_signatures=True),
    ModelInfo("gpt-oss-120b-medium", "gpt-oss", max_output_tokens=32768),
)
"""Today's ids (late 2026) with what the live catalog does not say."""
_BY_ID = {m.id: m for m in BUILT_IN}
_GEMINI_2 = re.compile(r"^gemini-(1|2)(\.\d+)?-")


def infer(model_id: str) -> ModelInfo:
    """What an id the table lacks most likely is, by its family."""
    if model_id.startswith("claude-"):
        return ModelInfo(
            model_id, "claude", "budget", can_disable_thinking=not model_id.endswith("-thinking")
        )
    if model_id.startswith("gemini-"):
        if "image" in model_id:
            return ModelInfo(
                model_id, "gemini", image_output=True, call_signatures=not _GEMINI_2.match(model_id)
            )
        if _GEMINI_2.match(model_id):
            return ModelInfo(model_id, "gemini", "budget", can_disable_thinking="pro" not in model_id)
        return _gemini3(model_id, _PRO_LEVELS if "pro" in model_id else _FLASH_LEVELS)
    if model_id.startswith("gpt-oss"):
        return ModelInfo(model_id, "gpt-oss")
    return ModelInfo(model_id, "other")


def merge(model_id: str, live: AvailableModel | None) -> ModelInfo:
    """The built-in (or inferred) entry, with the live catalog's name and output limit winning."""
    base = _BY_ID.get(model_id) or infer(model_id)
    if live is None:
        return base
    return replace(
        base,
        display_name=live.display_name or base.display_name,
        max_output_tokens=live.max_output_tokens or base.max_output_tokens,
    )


def model_info(model_id: str, available: AvailableModels | None = None) -> ModelInfo:
    """The entry for ``model_id``, live data merged in when the catalog was read."""
    return merge(model_id, available.models.get(model_id) if available else None)


@dataclass(frozen=True)
class Resolved:
    """The model a call goes to, and the retired id it was asked for (when forwarded)."""

    info: ModelInfo
    forwarded_from: str | None = None

    @property
    def id(self) -> str:
        return self.info.id


def resolve(requested: str, available: AvailableModels | None) -> Resolved:
    """``requested``, or its successor when the upstream lists it as retired."""
    successor = available.successor(requested) if available else None
    if successor is not None:
        return Resolved(model_info(successor, available), forwarded_from=requested)
    return Resolved(model_info(requested, available))


class LiveCatalog(Protocol):
    async def available_models(self) -> AvailableModels | None: ...


async def resolve_live(catalog: LiveCatalog, requested: str) -> Resolved:
    """:func:`resolve` against the catalog the upstream lists today (cached by the client)."""
    return resolve(requested, await catalog.available_models())


def text_model_ids(available: AvailableModels | None = None) -> list[str]:
    """Ids to suggest: the live catalog's when it was read, else the built-in table's."""
    if available is not None and available.models:
        return sorted(m for m in available.models if not merge(m, available.models[m]).image_output)
    return [m.id for m in BUILT_IN if not m.image_output]


def describe(available: AvailableModels | None) -> dict[str, Any]:
    """The catalog as clients see it (resource ``antigravity://models``, ``mcp-antigravity models``)."""
    if available is None:
        return {
            "source": "built-in (the upstream's catalog could not be read)",
            "models": [
                {"id": m.id, "display_name": m.display_name, "max_output_tokens": m.max_output_tokens}
                for m in BUILT_IN
            ],
            "deprecated": {},
        }
    models = []
    for model_id in sorted(available.models):
        live = available.models[model_id]
        info = merge(model_id, live)
        models.append(
            {
                "id": model_id,
                "display_name": info.display_name,
                "max_output_tokens": info.max_output_tokens,
                "remaining_fraction": live.remaining_fraction,
                "reset_time": live.reset_time,
                "thinking": info.thinking,
                "image_output": info.image_output,
            }
        )
    return {
        "source": "upstream (fetchAvailableModels)",
        "models": models,
        "deprecated": dict(available.deprecated),
    }
