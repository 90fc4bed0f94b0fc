"""Account state in Redis: one hash ``accounts`` (email -> state JSON, never a token) and a
counter ``accounts:version`` that every change increments, so a replica reads the states again
only when they changed (one ``GET`` per call otherwise)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from redis.exceptions import WatchError

from ..accounts.records import Account
from .redis import RedisConnection, decode, encode, reported


class RedisAccountStates:
    def __init__(self, connection: RedisConnection) -> None:
        self._c = connection
        self._r = connection.redis
        self._hash = connection.key("accounts")
        self._version = connection.key("accounts", "version")

    @reported
    async def version(self) -> int:
        return int(await self._r.get(self._version) or 0)

    @reported
    async def load(self) -> dict[str, dict[str, Any]]:
        return {email.decode(): decode(raw) for email, raw in (await self._r.hgetall(self._hash)).items()}

    @reported
    async def update(self, account: Account, change: Callable[[Account], None]) -> dict[str, Any]:
        async with self._r.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(self._hash)
                    raw = await pipe.hget(self._hash, account.email)
                    current = account.with_state(decode(raw)) if raw is not None else account
                    change(current)
                    state = current.state_json()
                    pipe.multi()
                    pipe.hset(self._hash, account.email, encode(state))
                    pipe.incr(self._version)
                    await pipe.execute()
                    return state
                except WatchError:
                    continue  # another replica changed an account meanwhile
