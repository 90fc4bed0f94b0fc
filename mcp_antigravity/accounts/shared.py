"""The contract for account state kept where every replica of a deployment sees it.

By default the state lives in ``accounts.json`` next to the tokens (:mod:`.store`), which is
shared by the processes of one machine. Replicas on several machines keep it in the shared
store instead (:mod:`mcp_antigravity.storage.redis_accounts`): what the upstream said about
each account (state, cooldowns, last quota, project) by email; the tokens stay in each
replica's accounts file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from .records import Account


class AccountStates(Protocol):
    async def version(self) -> int:
        """A number that changes whenever any account's state changes."""
        ...

    async def load(self) -> dict[str, dict[str, Any]]:
        """Every stored state (an :meth:`Account.state_json`), by email."""
        ...

    async def update(self, account: Account, change: Callable[[Account], None]) -> dict[str, Any]:
        """Apply ``change`` to ``account`` as its state is stored now (``account``'s own state when none
        is), store the result atomically against other writers, and return it."""
        ...
