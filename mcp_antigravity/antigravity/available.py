"""``fetchAvailableModels``: the upstream's own word on which models exist today (pure reading).

The answer maps model ids to what the account can use::

    {"models": {"gemini-3-flash": {"displayName": "Gemini 3 Flash",
                                   "quotaInfo": {"remainingFraction": 0.35, "resetTime": "..."},
                                   "maxOutputTokens": 65536, ...}},
     "deprecatedModelIds": {"<retired id>": {"newModelId": "<current id>"}}}

* ``remainingFraction`` is left out when it is 0 (proto3): a ``quotaInfo`` without it means
  the quota is used up, not unknown;
* internal ids that no client offers (``chat_*``, ``tab_*``) are dropped;
* ``deprecatedModelIds`` forwards a retired id to its successor, following chains, never
  looping.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

_INTERNAL_PREFIXES = ("chat_", "tab_")
_INTERNAL_IDS = frozenset({"gemini-2.5-flash-thinking", "gemini-2.5-pro"})


@dataclass(frozen=True)
class AvailableModel:
    id: str
    display_name: str | None = None
    max_output_tokens: int | None = None
    context_tokens: int | None = None
    remaining_fraction: float | None = None
    """0.0-1.0; ``None`` when the upstream gave no quota for the model at all."""
    reset_time: str | None = None
    """When the quota resets (RFC 3339), as the upstream wrote it."""
    supports_thinking: bool = False
    recommended: bool = False


@dataclass(frozen=True)
class AvailableModels:
    models: dict[str, AvailableModel] = field(default_factory=dict)
    deprecated: dict[str, str] = field(default_factory=dict)
    """Retired id → its successor."""

    def successor(self, model_id: str) -> str | None:
        """Where a retired id leads today (through chains of renames), or ``None`` for a current id."""
        seen = {model_id}
        current = model_id
        while current in self.deprecated:
            current = self.deprecated[current]
            if current in seen:
                return None  # a loop in the upstream's data: forward nowhere
            seen.add(current)
        return current if current != model_id else None

    def by_display_name(self, name: str) -> str | None:
        """The id shown as ``name`` (``Gemini 3.7 Flash`` matches ``Gemini 3.7 Flash (High)``)."""
        wanted = name.strip().lower()
        exact = [m.id for m in self.models.values() if (m.display_name or "").lower() == wanted]
        if exact:
            return exact[0]
        close = sorted(
            (m for m in self.models.values() if (m.display_name or "").lower().startswith(wanted + " (")),
            key=lambda m: (not m.recommended, "(high)" not in (m.display_name or "").lower(), m.id),
        )
        return close[0].id if close else None


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _model(model_id: str, raw: Mapping[str, Any]) -> AvailableModel:
    quota = raw.get("quotaInfo")
    fraction: float | None = None
    reset: str | None = None
    if isinstance(quota, Mapping):
        value = quota.get("remainingFraction", 0.0)
        fraction = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0
        fraction = min(max(fraction, 0.0), 1.0)
        reset = quota.get("resetTime") if isinstance(quota.get("resetTime"), str) else None
    name = raw.get("displayName")
    return AvailableModel(
        id=model_id,
        display_name=name if isinstance(name, str) and name else None,
        max_output_tokens=_int(raw.get("maxOutputTokens")),
        context_tokens=_int(raw.get("maxTokens")),
        remaining_fraction=fraction,
        reset_time=reset,
        supports_thinking=raw.get("supportsThinking") is True,
        recommended=raw.get("recommended") is True,
    )


def read_available_models(payload: object) -> AvailableModels:
    """The answer of ``fetchAvailableModels``, read defensively (odd entries are skipped)."""
    if not isinstance(payload, Mapping):
        return AvailableModels()
    raw_models = payload.get("models")
    models: dict[str, AvailableModel] = {}
    if isinstance(raw_models, Mapping):
        for model_id, raw in raw_models.items():
            if not isinstance(model_id, str) or not isinstance(raw, Mapping):
                continue
            if model_id.startswith(_INTERNAL_PREFIXES) or model_id in _INTERNAL_IDS:
                continue
            models[model_id] = _model(model_id, raw)
    deprecated: dict[str, str] = {}
    raw_deprecated = payload.get("deprecatedModelIds")
    if isinstance(raw_deprecated, Mapping):
        for old, target in raw_deprecated.items():
            new = target.get("newModelId") if isinstance(target, Mapping) else None
            if isinstance(old, str) and isinstance(new, str) and new and new != old:
                deprecated[old] = new
    return AvailableModels(models, deprecated)


def quota_of(models: AvailableModels) -> dict[str, tuple[float, float | None]]:
    """Remaining fraction and reset time (epoch seconds) per model that reported a quota."""
    quota: dict[str, tuple[float, float | None]] = {}
    for model in models.models.values():
        if model.remaining_fraction is None:
            continue
        reset: float | None = None
        if model.reset_time:
            try:
                reset = datetime.fromisoformat(model.reset_time.replace("Z", "+00:00")).timestamp()
            except ValueError:
                reset = None
        quota[model.id] = (model.remaining_fraction, reset)
    return quota
