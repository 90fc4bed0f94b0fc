"""``accounts.json``: the accounts, in one private file that several processes may change.

* Private: the file is 0600 in a 0700 folder; it holds refresh tokens.
* Atomic: every change writes a temporary file, fsyncs it, renames it over the old one and
  fsyncs the folder, so a kill at any moment leaves the old content or the new, never a mix.
* Shared: a change holds an exclusive lock on ``accounts.json.lock`` while it reads the file
  afresh, applies itself and writes, so two processes changing it at once lose neither change.
  Readers need no lock (a rename is atomic).
* Never silently reset: a file that cannot be read raises :class:`AccountsFileError` naming
  it, and nothing writes over it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from ..files import private_directory, write_private
from .records import Account

T = TypeVar("T")
VERSION = 1


class AccountsFileError(Exception):
    """The accounts file cannot be read or written; the message names it and what to do."""


class AccountsFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_path = path.with_name(path.name + ".lock")

    def exists(self) -> bool:
        return self.path.exists()

    def stamp(self) -> tuple[int, int] | None:
        """Changes whenever the file is replaced (for readers that keep a copy)."""
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return None
        return info.st_mtime_ns, info.st_ino

    def load(self) -> list[Account]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise AccountsFileError(f"Cannot read {self.path}: {exc.strerror}.") from exc
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or not isinstance(data.get("accounts"), list):
                raise ValueError('expected {"version": 1, "accounts": [...]}')
            if int(data.get("version", 0)) > VERSION:
                raise ValueError(f"written by a newer mcp-antigravity (format {data['version']})")
            return [Account.from_json(item) for item in data["accounts"]]
        except ValueError as exc:
            raise AccountsFileError(
                f"{self.path} is not a valid accounts file ({exc}). Fix or move it away; "
                "`mcp-antigravity accounts add` then starts a new one."
            ) from exc

    def update(self, change: Callable[[list[Account]], T]) -> T:
        """Apply ``change`` to the accounts as they are now on disk and store the result, under the
        file lock. ``change`` mutates the list (and the accounts in it) and may return a value."""
        with self._locked():
            accounts = self.load()
            result = change(accounts)
            payload = {"version": VERSION, "accounts": [a.to_json() for a in accounts]}
            write_private(self.path.parent, self.path.name, (json.dumps(payload, indent=1) + "\n").encode())
            _sync_folder(self.path.parent)
            return result

    @contextmanager
    def _locked(self) -> Iterator[None]:
        private_directory(self.path.parent)
        handle = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _lock(handle)
            yield
        finally:
            os.close(handle)  # closing releases the lock


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(handle: int) -> None:
        while True:
            try:
                msvcrt.locking(handle, msvcrt.LK_LOCK, 1)
                return
            except OSError:
                continue

    def _sync_folder(folder: Path) -> None:
        return None

else:
    import fcntl

    def _lock(handle: int) -> None:
        fcntl.flock(handle, fcntl.LOCK_EX)

    def _sync_folder(folder: Path) -> None:
        """The rename itself survives a crash only once the folder is on disk too."""
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def put_account(accounts: list[Account], email: str, refresh_token: str, now: float) -> str:
    """Store a login: a known email gets the new token (and is active again); a login saved under
    another name with the same token takes the email; else a new account. Says which it was."""
    for account in accounts:
        if account.email == email:
            account.refresh_token, account.state, account.reason, account.verify_url = (
                refresh_token,
                "active",
                None,
                None,
            )
            account.state_since = now
            return "updated"
    for account in accounts:
        if account.refresh_token == refresh_token:
            account.email = email
            return "renamed"
    accounts.append(Account(email, refresh_token, added_at=now, state_since=now))
    return "added"
