"""One account as stored: who it is, how to get its tokens, what the upstream last said about it.

Times are wall-clock seconds since the epoch (several processes share the file, and a cooldown
must outlive a restart). The JSON form is versioned; unknown keys of a newer version are kept
as they are, so an older server never drops what a newer one wrote."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

AccountState = Literal["active", "disabled", "needs_verification", "suspended", "token_dead"]
"""``disabled`` is the user's choice (``accounts disable``); the other three are the upstream's."""

STATES: tuple[AccountState, ...] = get_args(AccountState)
STATE_KEYS = ("project", "tier", "state", "reason", "verify_url", "state_since", "cooldowns", "quota")
"""What the upstream said about an account (the part a shared store keeps; never a token)."""


@dataclass
class Cooldown:
    """The account may not be asked for one model until ``until``."""

    until: float
    reason: str


@dataclass
class ModelQuota:
    """The last quota the upstream reported for one model (fetchAvailableModels)."""

    remaining: float
    """Fraction left, 0 to 1."""
    reset_at: float | None
    seen_at: float


@dataclass
class Account:
    email: str
    refresh_token: str = field(repr=False)
    project: str | None = None
    tier: str | None = None
    state: AccountState = "active"
    reason: str | None = None
    """Why the state is not ``active``, in the upstream's words."""
    verify_url: str | None = None
    """Where the user verifies the account, when the state is ``needs_verification``."""
    state_since: float = 0.0
    """When the state last changed."""
    cooldowns: dict[str, Cooldown] = field(default_factory=dict)
    quota: dict[str, ModelQuota] = field(default_factory=dict)
    added_at: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict, repr=False)
    """Keys this version does not know, kept for the version that wrote them."""

    def to_json(self) -> dict[str, Any]:
        return {
            **self.extra,
            "email": self.email,
            "refresh_token": self.refresh_token,
            "project": self.project,
            "tier": self.tier,
            "state": self.state,
            "reason": self.reason,
            "verify_url": self.verify_url,
            "state_since": self.state_since,
            "cooldowns": {m: {"until": c.until, "reason": c.reason} for m, c in self.cooldowns.items()},
            "quota": {
                m: {"remaining": q.remaining, "reset_at": q.reset_at, "seen_at": q.seen_at}
                for m, q in self.quota.items()
            },
            "added_at": self.added_at,
        }

    def state_json(self) -> dict[str, Any]:
        full = self.to_json()
        return {key: full[key] for key in STATE_KEYS}

    def with_state(self, state: dict[str, Any]) -> Account:
        """This account with the state ``state`` (a :meth:`state_json`) says; raises ``ValueError``."""
        return Account.from_json({**self.to_json(), **{k: state[k] for k in STATE_KEYS if k in state}})

    def take_state(self, state: dict[str, Any]) -> None:
        """Change this account's state to what ``state`` (a :meth:`state_json`) says; raises ``ValueError``."""
        taken = self.with_state(state)
        for key in STATE_KEYS:
            setattr(self, key, getattr(taken, key))

    @classmethod
    def from_json(cls, data: object) -> Account:
        """An account from its JSON form; raises ``ValueError`` naming what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("an account is not a JSON object")
        email, token = data.get("email"), data.get("refresh_token")
        if not isinstance(email, str) or not email:
            raise ValueError("an account has no email")
        if not isinstance(token, str):
            raise ValueError(f"account {email} has no refresh_token")
        state = data.get("state", "active")
        if state not in STATES:
            raise ValueError(f"account {email} has an unknown state {state!r}")
        known = {
            "email",
            "refresh_token",
            "project",
            "tier",
            "state",
            "reason",
            "verify_url",
            "state_since",
            "cooldowns",
            "quota",
            "added_at",
        }
        return cls(
            email=email,
            refresh_token=token,
            project=_text(data.get("project")),
            tier=_text(data.get("tier")),
            state=cast(AccountState, state),
            reason=_text(data.get("reason")),
            verify_url=_text(data.get("verify_url")),
            state_since=float(_number(data.get("state_since")) or 0.0),
            cooldowns={
                str(m): Cooldown(float(c["until"]), str(c.get("reason", "")))
                for m, c in _mapping(data.get("cooldowns")).items()
                if isinstance(c, dict) and isinstance(c.get("until"), int | float)
            },
            quota={
                str(m): ModelQuota(
                    float(q["remaining"]), _number(q.get("reset_at")), float(q.get("seen_at", 0))
                )
                for m, q in _mapping(data.get("quota")).items()
                if isinstance(q, dict) and isinstance(q.get("remaining"), int | float)
            },
            added_at=float(data.get("added_at", 0) or 0),
            extra={k: v for k, v in data.items() if k not in known},
        )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
