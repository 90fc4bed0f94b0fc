"""What may be shown of an account (the CLI, the ``antigravity://quota`` resource): everything but
its token. Times are UTC, ``YYYY-MM-DDTHH:MM:SSZ``."""

from __future__ import annotations

import time
from typing import Any

from .records import Account


def account_view(account: Account, now: float) -> dict[str, Any]:
    return {
        "email": account.email,
        "state": account.state,
        "reason": account.reason,
        "verify_url": account.verify_url,
        "tier": account.tier,
        "project": account.project,
        "models": {model: model_view(account, model, now) for model in sorted(account.quota)},
        "cooldowns": {
            model: {"until": stamp(c.until), "reason": c.reason}
            for model, c in sorted(account.cooldowns.items())
            if c.until > now
        },
    }


def model_view(account: Account, model: str, now: float) -> dict[str, Any]:
    """One account's numbers for one model: quota left as last seen, its reset, a cooldown."""
    quota = account.quota.get(model)
    cooling = account.cooldowns.get(model)
    active = cooling is not None and cooling.until > now
    return {
        "remaining_fraction": quota.remaining if quota else None,
        "reset_time": stamp(quota.reset_at) if quota else None,
        "seen": stamp(quota.seen_at) if quota else None,
        "cooldown_until": stamp(cooling.until) if cooling and active else None,
        "cooldown_reason": cooling.reason if cooling and active else None,
    }


def stamp(moment: float | None) -> str | None:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment)) if moment else None
