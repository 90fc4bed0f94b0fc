"""Which account serves a call (``accounts/selection.py``): the rules as a table over a fixed clock."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcp_antigravity.accounts import Candidate, available_at, choose, usable
from mcp_antigravity.accounts.selection import VERIFY_RECHECK

NOW = 1_000_000.0
A, B, C = "a@example.com", "b@example.com", "c@example.com"


def fresh(email: str, **fields: object) -> Candidate:
    return Candidate(email=email, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("candidates", "options", "expected"),
    [
        # a conversation stays on its account while it can serve, under every strategy
        ([fresh(A, remaining=0.1), fresh(B, remaining=0.9)], {"current": A}, A),
        ([fresh(A, remaining=0.1), fresh(B)], {"current": A, "strategy": "round-robin", "turn": 1}, A),
        ([fresh(A), fresh(B)], {"current": A, "strategy": "sticky", "last": B}, A),
        # ... and moves when it cannot
        ([fresh(A, cooldown_until=NOW + 5), fresh(B)], {"current": A}, B),
        ([fresh(A, remaining=0.0, reset_at=NOW + 60), fresh(B)], {"current": A}, B),
        ([fresh(A, state="suspended"), fresh(B)], {"current": A}, B),
        ([fresh(A, state="disabled"), fresh(B)], {"current": A}, B),
        ([fresh(A, state="token_dead"), fresh(B)], {"current": A}, B),
        ([fresh(A, state="needs_verification", state_since=NOW - 1), fresh(B)], {"current": A}, B),
        # quota-first: most quota left (unknown counts as full), then fewest failures, then least used
        ([fresh(A, remaining=0.2), fresh(B, remaining=0.7), fresh(C, remaining=0.5)], {}, B),
        ([fresh(A, remaining=0.7), fresh(B)], {}, B),
        ([fresh(A, remaining=0.5, recent_failures=2), fresh(B, remaining=0.5)], {}, B),
        ([fresh(A, last_used=NOW - 1), fresh(B, last_used=NOW - 100)], {}, B),
        # sticky: the last account while it can serve, then the healthiest
        ([fresh(A, remaining=0.2), fresh(B, remaining=0.9)], {"strategy": "sticky", "last": A}, A),
        (
            [fresh(A, cooldown_until=NOW + 1), fresh(B, remaining=0.1), fresh(C, remaining=0.3)],
            {"strategy": "sticky", "last": A},
            C,
        ),
        # round-robin: each in turn, by email
        ([fresh(B), fresh(A), fresh(C)], {"strategy": "round-robin", "turn": 0}, A),
        ([fresh(B), fresh(A), fresh(C)], {"strategy": "round-robin", "turn": 4}, B),
        ([fresh(B), fresh(A, state="disabled"), fresh(C)], {"strategy": "round-robin", "turn": 0}, B),
        # tried accounts are never picked again in the same call
        ([fresh(A), fresh(B, remaining=0.1)], {"exclude": {A}}, B),
        ([fresh(A), fresh(B)], {"exclude": {A, B}}, None),
        # a spent quota whose reset has passed, and a cooldown that ended, serve again
        ([fresh(A, remaining=0.0, reset_at=NOW - 1)], {}, A),
        ([fresh(A, cooldown_until=NOW)], {}, A),
        # an account that needed verification is tried again after a while
        ([fresh(A, state="needs_verification", state_since=NOW - VERIFY_RECHECK)], {}, A),
        # nothing can serve
        ([fresh(A, state="disabled"), fresh(B, remaining=0.0, reset_at=NOW + 9)], {}, None),
        ([], {}, None),
    ],
)
def test_choose(candidates: list[Candidate], options: dict[str, object], expected: str | None) -> None:
    assert choose(candidates, now=NOW, **options) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        (fresh(A), NOW),
        (fresh(A, cooldown_until=NOW + 30), NOW + 30),
        (fresh(A, remaining=0.0, reset_at=NOW + 3600, cooldown_until=NOW + 30), NOW + 3600),
        (fresh(A, state="needs_verification", state_since=NOW), NOW + VERIFY_RECHECK),
        (fresh(A, remaining=0.0), None),
        (fresh(A, state="disabled"), None),
        (fresh(A, state="suspended"), None),
        (fresh(A, state="token_dead"), None),
    ],
)
def test_available_at(candidate: Candidate, expected: float | None) -> None:
    assert available_at(candidate, NOW) == expected


candidates = st.lists(
    st.builds(
        Candidate,
        email=st.sampled_from([A, B, C, "d@example.com"]),
        state=st.sampled_from(["active", "disabled", "needs_verification", "suspended", "token_dead"]),
        cooldown_until=st.none() | st.floats(NOW - 100, NOW + 100),
        remaining=st.none() | st.just(0.0) | st.floats(0, 1),
        reset_at=st.none() | st.floats(NOW - 100, NOW + 100),
        recent_failures=st.integers(0, 5),
    ),
    max_size=6,
    unique_by=lambda c: c.email,
)


@given(candidates, st.sampled_from(["quota-first", "sticky", "round-robin"]), st.integers(0, 20))
def test_the_choice_can_always_serve(pool: list[Candidate], strategy: str, turn: int) -> None:
    chosen = choose(pool, now=NOW, strategy=strategy, turn=turn, last=A)  # type: ignore[arg-type]
    able = [c.email for c in pool if usable(c, NOW)]
    assert (chosen is None) == (not able)
    assert chosen is None or chosen in able
    for c in pool:  # whatever can serve now is available now, and only that
        assert (available_at(c, NOW) == NOW) == usable(c, NOW), c
