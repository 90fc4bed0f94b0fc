"""Which account serves a call: a pure function of what is known about each account.

Rules:

* An account can serve a model when it is ``active``, not cooling for that model, and its last
  known quota for that model is not spent (a spent quota whose reset time has passed counts as
  unknown again). An account that needs verification is tried again :data:`VERIFY_RECHECK`
  seconds after it was found so (the user may have verified it meanwhile); the other states
  wait for the user.
* A conversation stays on its account while that account can serve the model, whatever the
  strategy: its thought signatures and the upstream's caches belong to that account.
* Otherwise (a new conversation, a one-shot call, or an account that can no longer serve), the
  strategy picks among the accounts that can serve:

  - ``quota-first`` (the default): the most remaining quota for the model (unknown counts as
    full), then the fewest recent failures, then the least recently used;
  - ``sticky``: the account the last call went to, while it can serve; then as ``quota-first``.
    One account is spent at a time, the others' windows stay untouched;
  - ``round-robin``: each in turn (by the ``turn`` counter the caller advances).

* ``exclude`` are the accounts this call already tried; none of them is picked again.
* When none can serve, the answer is ``None``, and :func:`available_at` says when each would.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from .records import AccountState

Strategy = Literal["quota-first", "sticky", "round-robin"]
VERIFY_RECHECK = 600.0


@dataclass(frozen=True)
class Candidate:
    """What selection needs to know of one account, for one model."""

    email: str
    state: AccountState = "active"
    cooldown_until: float | None = None
    remaining: float | None = None
    """Quota fraction left for the model; ``None`` when never seen."""
    reset_at: float | None = None
    state_since: float = 0.0
    recent_failures: int = 0
    last_used: float = 0.0


def _remaining(candidate: Candidate, now: float) -> float | None:
    if (
        candidate.remaining is not None
        and candidate.remaining <= 0
        and (candidate.reset_at is not None and candidate.reset_at <= now)
    ):
        return None  # the quota has reset since it was seen spent
    return candidate.remaining


def _state_allows(candidate: Candidate, now: float) -> bool:
    if candidate.state == "needs_verification":
        return now >= candidate.state_since + VERIFY_RECHECK
    return candidate.state == "active"


def usable(candidate: Candidate, now: float) -> bool:
    if not _state_allows(candidate, now):
        return False
    if candidate.cooldown_until is not None and candidate.cooldown_until > now:
        return False
    remaining = _remaining(candidate, now)
    return remaining is None or remaining > 0


def available_at(candidate: Candidate, now: float) -> float | None:
    """When the account can serve the model again: ``now`` if it can, ``None`` if no time is known
    to help (its state needs the user, or its quota is spent with no reset time)."""
    moments = [now]
    if candidate.state == "needs_verification":
        moments.append(candidate.state_since + VERIFY_RECHECK)
    elif candidate.state != "active":
        return None
    if candidate.cooldown_until is not None:
        moments.append(candidate.cooldown_until)
    if candidate.remaining is not None and candidate.remaining <= 0:
        if candidate.reset_at is None:
            return None
        moments.append(candidate.reset_at)
    return max(moments)


def choose(
    candidates: Sequence[Candidate],
    *,
    now: float,
    current: str | None = None,
    strategy: Strategy = "quota-first",
    last: str | None = None,
    turn: int = 0,
    exclude: Collection[str] = (),
) -> str | None:
    """The email of the account to use, or ``None`` when no account can serve."""
    able = [c for c in candidates if c.email not in exclude and usable(c, now)]
    if not able:
        return None
    emails = {c.email for c in able}
    if current is not None and current in emails:
        return current
    if strategy == "sticky" and last is not None and last in emails:
        return last
    if strategy == "round-robin":
        ordered = sorted(able, key=lambda c: c.email)
        return ordered[turn % len(ordered)].email

    def health(c: Candidate) -> tuple[float, int, float, str]:
        remaining = _remaining(c, now)
        return (-(1.0 if remaining is None else remaining), c.recent_failures, c.last_used, c.email)

    return min(able, key=health).email
