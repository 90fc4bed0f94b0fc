"""Which Google Cloud project the calls run under.

Order: the configured project (no discovery at all); ``loadCodeAssist``; ``onboardUser``
(into the account's current tier, else its default one), polled until its operation is done;
the well-known fallback project. Both identify as the Antigravity IDE (``ideType: ANTIGRAVITY``,
and for onboarding its version and name). Results are cached per
account, and concurrent callers wait for one discovery instead of starting their own.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from .errors import (
    AntigravityConnectionError,
    AntigravityStatusError,
    AuthenticationError,
    PermissionDeniedError,
)
from .wire import ClientMetadata, LoadCodeAssistResponse, Operation, to_wire

log = logging.getLogger(__name__)

PostJson = Callable[[str, str, dict[str, Any]], Awaitable[Any]]
"""``post(account, method, body)``: one discovery call made with ``account``'s token."""
IDE_TYPE = "ANTIGRAVITY"
IDE_NAME = "antigravity"


class ProjectResolver:
    def __init__(
        self,
        post: PostJson,
        *,
        configured: str | None,
        fallback: str,
        poll_attempts: int,
        poll_interval: float,
        version: Callable[[], Awaitable[str]],
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self._post = post
        self._version = version
        self._configured = configured
        self._fallback = fallback
        self._poll_attempts = poll_attempts
        self._poll_interval = poll_interval
        self._sleep = sleep
        self._cache: dict[str, str] = {}
        self.tiers: dict[str, str] = {}
        """The tier discovery found, per account."""
        self.found: set[str] = set()
        """Accounts whose project the upstream named (not the fallback): only those are worth keeping."""
        self._locks: dict[str, anyio.Lock] = {}

    async def project_for(self, account: str) -> str:
        if self._configured:
            return self._configured
        lock = self._locks.setdefault(account, anyio.Lock())
        async with lock:
            if account not in self._cache:
                self._cache[account] = await self._discover(account)
            return self._cache[account]

    async def _discover(self, account: str) -> str:
        try:
            loaded = LoadCodeAssistResponse.model_validate(
                await self._post(
                    account, "loadCodeAssist", {"metadata": to_wire(ClientMetadata(ide_type=IDE_TYPE))}
                )
            )
            if loaded.current_tier is not None:
                self.tiers[account] = loaded.current_tier.id
            if loaded.project_id:
                self.found.add(account)
                return loaded.project_id
            metadata = to_wire(
                ClientMetadata(ide_type=IDE_TYPE, ide_version=await self._version(), ide_name=IDE_NAME)
            )
            onboarded = await self._onboard(account, loaded.tier_id, metadata)
            if onboarded:
                self.found.add(account)
                return onboarded
        except (AuthenticationError, PermissionDeniedError):
            raise
        except (AntigravityConnectionError, AntigravityStatusError) as exc:
            log.warning(
                "project discovery failed (%s); using %s. Set ANTIGRAVITY_PROJECT to skip discovery.",
                exc,
                self._fallback,
            )
            return self._fallback
        log.warning(
            "no project found by discovery; using %s. Set ANTIGRAVITY_PROJECT to choose one.", self._fallback
        )
        return self._fallback

    async def _onboard(self, account: str, tier_id: str, metadata: dict[str, Any]) -> str | None:
        for attempt in range(self._poll_attempts):
            operation = Operation.model_validate(
                await self._post(account, "onboardUser", {"tierId": tier_id, "metadata": metadata})
            )
            if operation.done:
                return operation.project_id
            if attempt + 1 < self._poll_attempts:
                await self._sleep(self._poll_interval)
        return None
