"""Conversations the server holds for its callers, persisted across restarts.

* One :class:`Sessions` per process, opened by the runtime, over one SQLite file
  (:mod:`.store`); every disk access runs in a worker thread, one at a time.
* :meth:`Sessions.hold` serializes calls on the same session: the second caller waits until
  the first one's turn is stored, so turns are never lost or interleaved.
* Turns are written only by :meth:`Sessions.commit`, after the upstream answered: a failed
  or cancelled call leaves the session as it was.
"""

from __future__ import annotations

import functools
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar
from weakref import WeakValueDictionary

import anyio
import anyio.to_thread

from ..antigravity.models import ModelInfo
from ..antigravity.wire import Content
from .signatures import HistoryTurn, attach, split
from .store import Limits, SessionStore, StoredSession, StoredTurn

T = TypeVar("T")


class UnknownSession(KeyError):
    """No session by that id (it expired, was deleted, or never existed)."""


class Sessions:
    def __init__(self, path: Path, limits: Limits, clock: Callable[[], float] = time.time) -> None:
        self._path = path
        self.limits = limits
        self._clock = clock
        self._store: SessionStore | None = None
        self._disk = anyio.CapacityLimiter(1)
        self._locks: WeakValueDictionary[str, anyio.Lock] = WeakValueDictionary()

    async def open(self) -> None:
        self._store = await anyio.to_thread.run_sync(SessionStore, self._path, limiter=self._disk)

    async def close(self) -> None:
        if self._store is not None:
            store, self._store = self._store, None
            await anyio.to_thread.run_sync(store.close, limiter=self._disk)

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._store is None:
            raise RuntimeError("sessions are not open")
        return await anyio.to_thread.run_sync(fn, *args, limiter=self._disk)

    @property
    def store(self) -> SessionStore:
        if self._store is None:
            raise RuntimeError("sessions are not open")
        return self._store

    # ------------------------------------------------------------------ sessions

    @asynccontextmanager
    async def hold(self, session_id: str | None) -> AsyncIterator[StoredSession]:
        """The session, locked against other calls until the block ends.

        ``None`` gives a new session that exists in memory only until its first turn is stored.
        """
        if session_id is None:
            now = self._clock()
            yield StoredSession("s_" + secrets.token_hex(8), now, now)
            return
        lock = self._locks.get(session_id)
        if lock is None:
            lock = self._locks[session_id] = anyio.Lock()
        async with lock:
            session = await self._run(self.store.load, session_id)
            if session is None:
                raise UnknownSession(session_id)
            yield session

    async def session_for_call(self, call_id: str) -> str | None:
        return await self._run(self.store.session_for_call, call_id)

    async def summaries(self) -> list[dict[str, Any]]:
        return await self._run(self.store.summaries)

    async def history(self, session_id: str) -> StoredSession:
        session = await self._run(self.store.load, session_id)
        if session is None:
            raise UnknownSession(session_id)
        return session

    def contents_for(
        self, session: StoredSession, model: ModelInfo, *, repair: bool = False
    ) -> list[Content]:
        """The stored history with signatures re-attached for ``model`` (see :mod:`.signatures`)."""
        turns = [HistoryTurn(t.seq, t.role, t.parts) for t in session.turns]
        return attach(
            turns, session.signatures, model, now=self._clock(), ttl=self.limits.signature_ttl, repair=repair
        )

    async def commit(self, session: StoredSession, user: Content, answer: Content, model: str) -> None:
        """Store one exchange: the user's turn and the model's, with the model's signatures."""
        now = self._clock()
        user_parts, _ = split(user, session.next_seq, model, now)
        model_parts, signatures = split(answer, session.next_seq + 1, model, now)
        turns = [
            StoredTurn(session.next_seq, "user", None, user_parts),
            StoredTurn(session.next_seq + 1, "model", model, model_parts),
        ]
        session.model = model
        answers_calls = any(part.function_response is not None for part in user.parts)
        await self._run(
            functools.partial(self.store.commit_turns, answers_calls=answers_calls),
            session,
            turns,
            signatures,
            now,
            self.limits,
        )

    async def reset(self, session: StoredSession) -> None:
        session.waiting = {}
        await self._run(self.store.reset, session, self._clock())

    async def delete(self, session_id: str) -> bool:
        return await self._run(self.store.delete, session_id)
