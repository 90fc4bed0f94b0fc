"""The accounts file (``accounts/store.py``) and its records, in one process."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcp_antigravity.accounts import Account, AccountsFile, AccountsFileError, Cooldown, ModelQuota
from mcp_antigravity.accounts.store import put_account
from mcp_antigravity.antigravity.accounts import SAVED_LOGIN, migrate_saved_login

from ..conftest import make_settings


def test_the_file_is_private_and_round_trips(tmp_path: Path) -> None:
    file = AccountsFile(tmp_path / "data" / "accounts.json")
    account = Account(
        "a@example.com",
        "rt-secret",
        project="p",
        tier="free-tier",
        state="needs_verification",
        reason="Verify it.",
        verify_url="https://accounts.google.com/x",
        state_since=5.0,
        cooldowns={"m": Cooldown(100.0, "quota exhausted")},
        quota={"m": ModelQuota(0.25, 200.0, 50.0)},
        added_at=1.0,
    )
    file.update(lambda accounts: accounts.append(account))
    assert file.load() == [account]
    assert stat.S_IMODE(os.stat(file.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(file.path.parent).st_mode) == 0o700
    assert [p.name for p in file.path.parent.iterdir() if p.name.startswith(".partial")] == []


def test_keys_of_a_newer_version_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "accounts.json"
    path.write_text(
        json.dumps({"version": 1, "accounts": [{"email": "a@x", "refresh_token": "t", "future": [1]}]})
    )
    file = AccountsFile(path)
    file.update(lambda accounts: setattr(accounts[0], "tier", "standard-tier"))
    assert json.loads(path.read_text())["accounts"][0]["future"] == [1]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "not a valid accounts file"),
        ('{"accounts": {}}', "expected"),
        ('{"version": 1, "accounts": [{"refresh_token": "t"}]}', "has no email"),
        (
            '{"version": 1, "accounts": [{"email": "a@x", "refresh_token": "t", "state": "odd"}]}',
            "unknown state",
        ),
        ('{"version": 9, "accounts": []}', "newer"),
    ],
)
def test_a_bad_file_is_named_and_never_overwritten(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "accounts.json"
    path.write_text(content)
    file = AccountsFile(path)
    with pytest.raises(AccountsFileError, match=problem) as raised:
        file.update(lambda accounts: accounts.append(Account("b@x", "t")))
    assert str(path) in str(raised.value)
    assert path.read_text() == content


def test_putting_a_login(tmp_path: Path) -> None:
    accounts = [Account("a@x", "old", state="token_dead", reason="dead"), Account(SAVED_LOGIN, "saved")]
    assert put_account(accounts, "a@x", "new", 1.0) == "updated"
    assert (accounts[0].refresh_token, accounts[0].state, accounts[0].reason) == ("new", "active", None)
    assert put_account(accounts, "s@x", "saved", 1.0) == "renamed"  # the migrated login gets its email
    assert accounts[1].email == "s@x"
    assert put_account(accounts, "c@x", "third", 2.0) == "added"
    assert [a.email for a in accounts] == ["a@x", "s@x", "c@x"]


def test_a_saved_login_moves_into_the_accounts_file_once(tmp_path: Path) -> None:
    settings = make_settings("http://127.0.0.1:9", data_dir=tmp_path, oauth_client_id="cid")
    (tmp_path / "credentials.json").write_text(json.dumps({"refresh_token": "saved-rt", "client_id": "cid"}))
    file = AccountsFile(settings.accounts_path)
    assert migrate_saved_login(settings, file)
    assert [(a.email, a.refresh_token) for a in file.load()] == [(SAVED_LOGIN, "saved-rt")]
    assert not migrate_saved_login(settings, file)  # once
    assert (tmp_path / "credentials.json").exists()  # the old login stays where it was


accounts = st.lists(
    st.builds(
        Account,
        email=st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.com", fullmatch=True),
        refresh_token=st.text(max_size=20),
        project=st.none() | st.text(min_size=1, max_size=10),
        state=st.sampled_from(["active", "disabled", "needs_verification", "suspended", "token_dead"]),
        cooldowns=st.dictionaries(
            st.text(min_size=1, max_size=8), st.builds(Cooldown, st.floats(0, 1e10), st.text())
        ),
        quota=st.dictionaries(
            st.text(min_size=1, max_size=8),
            st.builds(ModelQuota, st.floats(0, 1), st.none() | st.floats(0, 1e10), st.floats(0, 1e10)),
        ),
    ),
    max_size=4,
    unique_by=lambda a: a.email,
)


@given(accounts)
def test_any_accounts_round_trip_through_json(given_accounts: list[Account]) -> None:
    again = [Account.from_json(json.loads(json.dumps(a.to_json()))) for a in given_accounts]
    assert again == given_accounts
