"""Generated images in Redis: ``img:{caller}`` (name -> when, newest last) and one key per
image, ``imgdata:{caller}:{name}``, holding its bytes. ``{caller}`` is a hash of the caller's
name, as for the images folder. Images expire with the session age limit; a caller keeps at most
:data:`MAX_PER_CALLER`, the oldest going first."""

from __future__ import annotations

import math
import time

from ..files import caller_digest
from ..media.saved import SavedImage, valid_name
from .redis import RedisConnection, reported

MAX_PER_CALLER = 500


class RedisImages:
    def __init__(self, connection: RedisConnection, max_age: float) -> None:
        self._c = connection
        self._r = connection.redis
        self._ttl = max(1, math.ceil(max_age))

    def _index(self, owner: str | None) -> str:
        return self._c.key("img", _who(owner))

    def _data(self, owner: str | None, name: str) -> str:
        return self._c.key("imgdata", _who(owner), name)

    @reported
    async def save(self, owner: str | None, name: str, data: bytes) -> SavedImage:
        if not valid_name(name):
            raise ValueError(f"not an image name: {name!r}")
        now = time.time()
        index = self._index(owner)
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.set(self._data(owner, name), data, ex=self._ttl)
            pipe.zadd(index, {name: now})
            pipe.zremrangebyscore(index, "-inf", f"({now - self._ttl}")
            pipe.zrange(index, 0, -MAX_PER_CALLER - 1)
            pipe.expire(index, self._ttl)
            surplus = (await pipe.execute())[3]
        if surplus:
            names = [n.decode() for n in surplus]
            async with self._r.pipeline(transaction=True) as pipe:
                pipe.zrem(index, *names)
                pipe.delete(*[self._data(owner, n) for n in names])
                await pipe.execute()
        return SavedImage(name, len(data), now)

    @reported
    async def read(self, owner: str | None, name: str) -> bytes | None:
        if not valid_name(name):
            return None
        data: bytes | None = await self._r.get(self._data(owner, name))
        return data

    @reported
    async def list(self, owner: str | None) -> list[SavedImage]:
        entries = await self._r.zrevrange(self._index(owner), 0, -1, withscores=True)
        if not entries:
            return []
        async with self._r.pipeline(transaction=False) as pipe:
            for name, _ in entries:
                pipe.strlen(self._data(owner, name.decode()))
            sizes = await pipe.execute()
        return [
            SavedImage(name.decode(), size, created)
            for (name, created), size in zip(entries, sizes, strict=True)
            if size  # expired meanwhile
        ]


def _who(owner: str | None) -> str:
    return "local" if owner is None else caller_digest(owner)
