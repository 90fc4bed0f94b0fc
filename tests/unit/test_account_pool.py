"""The pool the client leases accounts from (``antigravity/accounts.py``), over a fake clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcp_antigravity.accounts import Account, AccountsFile
from mcp_antigravity.accounts.selection import VERIFY_RECHECK
from mcp_antigravity.antigravity import StaticToken, TokenSource
from mcp_antigravity.antigravity.accounts import AccountPool
from mcp_antigravity.antigravity.rotation import Cool, Mark, Move

from .test_store_contract import Clock

pytestmark = pytest.mark.anyio
A, B = "a@example.com", "b@example.com"
MODEL = "gemini-3-flash"


def pool_of(
    tmp_path: Path, clock: Clock, *emails: str, strategy: str = "sticky"
) -> tuple[AccountPool, AccountsFile]:
    file = AccountsFile(tmp_path / "accounts.json")
    file.update(lambda accounts: accounts.extend(Account(e, "rt-" + e) for e in emails))

    def tokens(account: Account) -> TokenSource:
        from pydantic import SecretStr

        return StaticToken(SecretStr("token-for-" + account.email))

    return AccountPool(file.load(), tokens, file=file, strategy=strategy, clock=clock), file  # type: ignore[arg-type]


async def test_a_cooldown_ends_on_time_and_is_stored(tmp_path: Path) -> None:
    clock = Clock()
    pool, file = pool_of(tmp_path, clock, A, B)
    assert (lease := pool.lease(MODEL)) is not None and lease.email == A
    await pool.failed(A, MODEL, Cool(clock.now + 60, "quota exhausted", spent=True))
    assert [a.cooldowns[MODEL].until for a in file.load() if a.email == A] == [clock.now + 60]
    assert (lease := pool.lease(MODEL)) is not None and lease.email == B
    assert (
        lease := pool.lease("claude-sonnet-4-6", exclude={B})
    ) is not None and lease.email == A  # one model only
    clock.now += 60
    assert (lease := pool.lease(MODEL, exclude={B})) is not None and lease.email == A


async def test_spent_says_why_and_when_for_each_account(tmp_path: Path) -> None:
    clock = Clock()
    pool, _ = pool_of(tmp_path, clock, A, B)
    await pool.saw_quota(A, {MODEL: (0.5, None), "claude-sonnet-4-6": (0.8, None)})
    await pool.failed(A, MODEL, Cool(clock.now + 3600, "quota exhausted", spent=True))
    await pool.failed(B, MODEL, Mark("needs_verification", "Verify it.", "https://accounts.google.com/v"))
    assert pool.lease(MODEL) is None
    spent = pool.spent(MODEL)
    assert [(s.email, s.available_at) for s in spent.accounts] == [  # soonest first
        (B, clock.now + VERIFY_RECHECK),
        (A, clock.now + 3600),
    ]
    assert spent.accounts[0].why == "must be verified at https://accounts.google.com/v"
    assert spent.accounts[1].why == "quota exhausted"
    assert spent.earliest == clock.now + VERIFY_RECHECK
    assert spent.models_left == ["claude-sonnet-4-6"]
    assert "The earliest is b@example.com" in str(spent)
    clock.now += VERIFY_RECHECK  # the user may have verified it: it is tried again
    assert (lease := pool.lease(MODEL)) is not None and lease.email == B


async def test_marks_that_need_the_user_stay(tmp_path: Path) -> None:
    clock = Clock()
    pool, file = pool_of(tmp_path, clock, A, B)
    await pool.failed(A, None, Mark("token_dead", "invalid_grant"))
    await pool.failed(B, MODEL, Move("401"))
    clock.now += 10**7
    assert (lease := pool.lease(MODEL)) is not None and lease.email == B  # a move marks nothing
    assert {a.email: a.state for a in file.load()} == {A: "token_dead", B: "active"}


async def test_a_pool_of_one_from_the_settings_keeps_no_marks() -> None:
    from pydantic import SecretStr

    pool = AccountPool.single(StaticToken(SecretStr("t")))
    await pool.failed("static-token", MODEL, Mark("needs_verification", "Verify it."))
    assert pool.lease(MODEL) is not None
    await pool.failed("static-token", MODEL, Cool(pool.now() + 60, "quota exhausted", spent=True))
    assert pool.lease(MODEL) is None  # a quota reset is the upstream's word: honoured
