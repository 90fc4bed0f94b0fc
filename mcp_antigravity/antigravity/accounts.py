"""The pool of accounts the client calls with: leases, and what the upstream said about each.

The stored truth is :class:`~..accounts.AccountsFile` (shared with other processes and the
CLI); the pool keeps a copy, reads the file again when another process replaced it (checked at
most once a second), and writes every change of state, cooldown or quota through to it, as a
change applied to the file's current content. What only matters to this process (recent
failures, last use) stays in memory.

A pool built from ``ANTIGRAVITY_ACCESS_TOKEN`` / ``ANTIGRAVITY_REFRESH_TOKEN`` is a pool of one
that is never stored.

With a shared store (``ANTIGRAVITY_STORE=redis://...``) the state goes there instead of the file
(:mod:`..accounts.shared`): a change is written to it at once, and :meth:`AccountPool.sync`,
called before every call, takes in what other replicas wrote, so an account one replica saw
cooling is skipped by all of them.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio
from pydantic import SecretStr

from ..accounts import (
    Account,
    AccountsFile,
    AccountsFileError,
    Candidate,
    Cooldown,
    ModelQuota,
    Strategy,
    available_at,
    choose,
)
from ..accounts.shared import AccountStates
from .auth import (
    CredentialKind,
    NoCredentials,
    RefreshingToken,
    TokenSource,
    saved_refresh_token,
    token_source,
)
from .errors import AccountsSpent, AccountStatus
from .pool import HttpClient
from .rotation import Cool, Mark, Move, Verdict

if TYPE_CHECKING:
    from ..config import Settings

log = logging.getLogger(__name__)

FAILURE_WINDOW = 600.0
"""Seconds a failure counts against an account's health."""
RELOAD_EVERY = 1.0


@dataclass
class Lease:
    """One account, lent to one call."""

    email: str
    tokens: TokenSource
    project: str | None


@dataclass
class _Live:
    tokens: TokenSource
    refresh_token: str
    failures: deque[float] = field(default_factory=lambda: deque(maxlen=32))
    last_used: float = 0.0


class AccountPool:
    def __init__(
        self,
        accounts: list[Account],
        tokens_for: Callable[[Account], TokenSource],
        *,
        file: AccountsFile | None = None,
        strategy: Strategy = "quota-first",
        clock: Callable[[], float] = time.time,
        kind: CredentialKind = "accounts",
        marks: bool = True,
        shared: AccountStates | None = None,
    ) -> None:
        self._tokens_for = tokens_for
        self._marks = marks
        self._file = file
        self._shared = shared
        self._shared_seen: int | None = None
        self._shared_states: dict[str, dict[str, Any]] = {}
        self._strategy: Strategy = strategy
        self._clock = clock
        self.kind = kind
        self._accounts: dict[str, Account] = {}
        self._live: dict[str, _Live] = {}
        self._stamp = file.stamp() if file is not None else None
        self._checked = clock()
        self._last: str | None = None
        self._turn = 0
        self._adopt(accounts)

    @classmethod
    def single(
        cls,
        tokens: TokenSource,
        *,
        clock: Callable[[], float] = time.time,
        shared: AccountStates | None = None,
    ) -> AccountPool:
        """A pool of one account given by the settings (never stored, but for its cooldowns in a shared store)."""
        account = Account(email=tokens.account, refresh_token="")
        # its marks are not kept: the user acts on the error, and the next call must try again
        return cls([account], lambda _: tokens, clock=clock, kind=tokens.kind, marks=False, shared=shared)

    @classmethod
    def stored(
        cls,
        file: AccountsFile,
        http: HttpClient,
        *,
        client_id: str | None,
        client_secret: SecretStr | None,
        token_url: str,
        strategy: Strategy = "quota-first",
        clock: Callable[[], float] = time.time,
        shared: AccountStates | None = None,
    ) -> AccountPool:
        def tokens_for(account: Account) -> TokenSource:
            return RefreshingToken(
                http,
                refresh_token=SecretStr(account.refresh_token),
                client_id=client_id or "",
                client_secret=client_secret or SecretStr(""),
                token_url=token_url,
                kind="accounts",
                email=account.email,
            )

        return cls(file.load(), tokens_for, file=file, strategy=strategy, clock=clock, shared=shared)

    # ------------------------------------------------------------------ reading

    async def sync(self) -> None:
        """Take in the state other replicas stored in the shared store, if it changed (one read)."""
        if self._shared is None:
            return
        version = await self._shared.version()
        if version != self._shared_seen:
            self._shared_seen = version
            self._shared_states = await self._shared.load()
            self._adopt(list(self._accounts.values()))

    def now(self) -> float:
        return self._clock()

    @property
    def emails(self) -> list[str]:
        return list(self._accounts)

    def accounts(self) -> list[Account]:
        self._refresh()
        return list(self._accounts.values())

    def lease_of(self, email: str) -> Lease:
        """That account, whatever its state (for reading its catalog and quota)."""
        return self._lease(email)

    def first(self) -> Lease:
        """The account that speaks for the pool where no model is involved (the catalog shown to
        callers, advice): the healthiest, or the first when none can serve."""
        email = self._choose(None, prefer=None, exclude=set()) or next(iter(self._accounts))
        return self._lease(email)

    def lease(
        self, model: str | None, *, prefer: str | None = None, exclude: Iterable[str] = ()
    ) -> Lease | None:
        email = self._choose(model, prefer=prefer, exclude=set(exclude))
        if email is None:
            return None
        self._last = email
        self._turn += 1
        self._live[email].last_used = self._clock()
        return self._lease(email)

    def spent(self, model: str) -> AccountsSpent:
        """The error for a call no account can serve: why, per account, and until when."""
        now = self._clock()
        statuses = []
        for account in self._accounts.values():
            candidate = self._candidate(account, model, now)
            statuses.append(
                AccountStatus(account.email, _why(account, model, now), available_at(candidate, now))
            )
        statuses.sort(key=lambda s: (s.available_at is None, s.available_at or 0.0, s.email))
        return AccountsSpent(model, statuses, self.models_left(exclude=model))

    def models_left(self, *, exclude: str | None = None) -> list[str]:
        """Models that some account that can serve has quota for (as last seen)."""
        now = self._clock()
        left: set[str] = set()
        for account in self._accounts.values():
            if account.state != "active":
                continue
            for model, quota in account.quota.items():
                cooling = account.cooldowns.get(model)
                if model != exclude and quota.remaining > 0 and not (cooling and cooling.until > now):
                    left.add(model)
        return sorted(left)

    # ------------------------------------------------------------------ what the upstream said

    async def failed(self, email: str, model: str | None, verdict: Verdict) -> None:
        """Record what a failure says about the account (see :mod:`.rotation`)."""
        live = self._live.get(email)
        if live is not None:
            live.failures.append(self._clock())
        if isinstance(verdict, Move) or (isinstance(verdict, Mark) and not self._marks):
            return
        log.warning("account %s: %s", email, verdict.reason)
        now = self._clock()

        def change(account: Account) -> None:
            if isinstance(verdict, Cool) and model is not None:
                account.cooldowns[model] = Cooldown(verdict.until, verdict.reason)
                if verdict.spent:
                    account.quota[model] = ModelQuota(0.0, verdict.until, now)
            elif isinstance(verdict, Mark):
                account.state, account.reason, account.verify_url = verdict.state, verdict.reason, verdict.url
                account.state_since = now

        await self._change(email, change)

    async def saw_quota(self, email: str, quota: dict[str, tuple[float, float | None]]) -> None:
        """The remaining fraction and reset time per model, as fetchAvailableModels reported them."""
        now = self._clock()

        def change(account: Account) -> None:
            account.quota = {m: ModelQuota(f, reset, now) for m, (f, reset) in quota.items()}

        await self._change(email, change)

    async def saw_project(self, email: str, project: str, tier: str | None) -> None:
        account = self._accounts.get(email)
        if account is None or (account.project == project and account.tier == tier):
            return

        def change(account: Account) -> None:
            account.project, account.tier = project, tier or account.tier

        await self._change(email, change)

    # ------------------------------------------------------------------ inside

    def _lease(self, email: str) -> Lease:
        return Lease(email, self._live[email].tokens, self._accounts[email].project)

    def _choose(self, model: str | None, *, prefer: str | None, exclude: set[str]) -> str | None:
        self._refresh()
        now = self._clock()
        candidates = [self._candidate(a, model, now) for a in self._accounts.values()]
        return choose(
            candidates,
            now=now,
            current=prefer,
            strategy=self._strategy,
            last=self._last,
            turn=self._turn,
            exclude=exclude,
        )

    def _candidate(self, account: Account, model: str | None, now: float) -> Candidate:
        live = self._live[account.email]
        cooling = account.cooldowns.get(model) if model is not None else None
        quota = account.quota.get(model) if model is not None else None
        return Candidate(
            email=account.email,
            state=account.state,
            cooldown_until=cooling.until if cooling else None,
            remaining=quota.remaining if quota else None,
            reset_at=quota.reset_at if quota else None,
            state_since=account.state_since,
            recent_failures=sum(1 for t in live.failures if t > now - FAILURE_WINDOW),
            last_used=live.last_used,
        )

    def _adopt(self, accounts: list[Account]) -> None:
        """Take ``accounts`` (with the shared state, when there is one, over the file's)."""
        accounts = [self._with_shared(a) for a in accounts]
        self._accounts = {a.email: a for a in accounts}
        for account in accounts:  # a token source lives as long as its refresh token
            live = self._live.get(account.email)
            if live is None or live.refresh_token != account.refresh_token:
                self._live[account.email] = _Live(self._tokens_for(account), account.refresh_token)

    def _refresh(self) -> None:
        """Take in what other processes wrote (at most once a second)."""
        if self._file is None or self._clock() - self._checked < RELOAD_EVERY:
            return
        self._checked = self._clock()
        stamp = self._file.stamp()
        if stamp != self._stamp:
            self._stamp = stamp
            self._adopt(self._file.load())

    def _with_shared(self, account: Account) -> Account:
        state = self._shared_states.get(account.email)
        if state is None:
            return account
        try:
            return account.with_state(state)
        except ValueError as exc:  # written by a broken or newer replica: the file's state stands
            log.warning("account %s: ignoring the shared state (%s)", account.email, exc)
            return account

    async def _change(self, email: str, change: Callable[[Account], None]) -> None:
        account = self._accounts.get(email)
        if self._shared is not None:
            if account is not None:
                state = await self._shared.update(account, change)
                self._shared_states[email] = state
                self._accounts[email] = account.with_state(state)
            return
        if account is not None:
            change(account)
        if self._file is None:
            return
        file = self._file

        def write(accounts: list[Account]) -> None:
            for stored in accounts:
                if stored.email == email:
                    change(stored)

        await anyio.to_thread.run_sync(file.update, write)
        self._stamp = file.stamp()


def _why(account: Account, model: str, now: float) -> str:
    if account.state == "disabled":
        return "disabled (`mcp-antigravity accounts enable` turns it back on)"
    if account.state == "needs_verification":
        where = f" at {account.verify_url}" if account.verify_url else " in a browser"
        return f"must be verified{where}"
    if account.state == "suspended":
        return f"suspended by the upstream ({account.reason})"
    if account.state == "token_dead":
        return "its refresh token is dead: run `mcp-antigravity accounts add` for it"
    cooling = account.cooldowns.get(model)
    if cooling is not None and cooling.until > now:
        return cooling.reason
    quota = account.quota.get(model)
    if quota is not None and quota.remaining <= 0:
        return "quota used up"
    return "already tried for this call"


SAVED_LOGIN = "saved-login"
"""The name a login saved before accounts existed is stored under until it is added again."""


def pool_for(settings: Settings, http: HttpClient, shared: AccountStates | None = None) -> AccountPool:
    """The accounts the settings give: ``ANTIGRAVITY_ACCESS_TOKEN`` or ``ANTIGRAVITY_REFRESH_TOKEN``
    (a pool of one), else the accounts file (a login saved by an older version moves into it
    first), else none (every call then says how to add an account). ``shared``: where their
    state lives when not in the file (see the module documentation)."""
    tokens = token_source(settings, http)
    if tokens.kind != "none":
        return AccountPool.single(tokens, shared=shared)
    file = AccountsFile(settings.accounts_path)
    try:
        migrate_saved_login(settings, file)
        if file.load():
            return AccountPool.stored(
                file,
                http,
                client_id=settings.oauth_client_id,
                client_secret=settings.oauth_client_secret,
                token_url=settings.oauth_token_url,
                strategy=settings.account_strategy,
                shared=shared,
            )
    except AccountsFileError as exc:
        return AccountPool.single(NoCredentials(str(exc)))
    return AccountPool.single(tokens)


def migrate_saved_login(settings: Settings, file: AccountsFile) -> bool:
    """Move ``credentials.json`` (``mcp-antigravity login`` before accounts) into the accounts file
    as one account, once; the old file stays where it is. ``True`` when it moved."""
    if file.exists():
        return False
    token = saved_refresh_token(settings)
    if token is None:
        return False

    def add(accounts: list[Account]) -> None:
        if not accounts:
            accounts.append(Account(SAVED_LOGIN, token.get_secret_value(), added_at=time.time()))

    file.update(add)
    log.warning(
        "the saved login moved into %s as account %r; `mcp-antigravity accounts add` stores it under its email",
        file.path,
        SAVED_LOGIN,
    )
    return True
