"""Conversations over a store: one lock per session, history with its signatures, commits.

* :meth:`Sessions.hold` serializes calls on the same session: in this process with a lock in
  memory, across processes sharing the store with the store's session lock (renewed while the
  call runs, expiring when its process dies). The second caller waits until the first one's
  turn is stored, so turns are never lost or interleaved.
* Turns are written only by :meth:`Sessions.commit`, after the upstream answered: a failed or
  cancelled call leaves the session as it was.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from weakref import WeakValueDictionary

import anyio

from ..antigravity.models import ModelInfo
from ..antigravity.wire import Content
from .errors import UnknownSession
from .signatures import HistoryTurn, attach, split
from .store import Limits, Session, SessionStore, SessionSummary, Turn

log = logging.getLogger(__name__)

LOCK_TTL = 15.0
"""Seconds a session lock outlives its last renewal (renewed every third of it while a call runs)."""
LOCK_POLL = (0.02, 0.25)
"""First and longest pause between tries for a lock another process holds."""


class Sessions:
    def __init__(
        self,
        store: SessionStore,
        limits: Limits,
        clock: Callable[[], float] = time.time,
        *,
        lock_ttl: float = LOCK_TTL,
    ) -> None:
        self.store = store
        self.limits = limits
        self._clock = clock
        self._lock_ttl = lock_ttl
        self._locks: WeakValueDictionary[str, anyio.Lock] = WeakValueDictionary()
        self._holders: dict[str, str] = {}

    @asynccontextmanager
    async def hold(self, session_id: str | None, owner: str | None = None) -> AsyncIterator[Session]:
        """``owner``'s session, locked against other calls until the block ends.

        ``None`` gives a new session of ``owner`` that exists in memory only until its first turn
        is stored. Another caller's session is unknown to this one, exactly as a missing one.
        """
        if session_id is None:
            now = self._clock()
            yield Session("s_" + secrets.token_hex(8), now, now, owner=owner)
            return
        lock = self._locks.get(session_id)
        if lock is None:
            lock = self._locks[session_id] = anyio.Lock()
        async with lock, self._store_lock(session_id):
            yield await self.history(session_id, owner)

    @asynccontextmanager
    async def _store_lock(self, session_id: str) -> AsyncIterator[None]:
        """The store's lock on the session, for as long as the block runs (see :mod:`.store`)."""
        token = secrets.token_hex(16)
        pause = LOCK_POLL[0]
        while not await self.store.lock(session_id, token, self._clock(), self._lock_ttl):
            await anyio.sleep(pause)  # another process's call on this session is running
            pause = min(pause * 2, LOCK_POLL[1])
        self._holders[session_id] = token
        error: Exception | None = None
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self._renew, session_id, token)
                try:
                    yield
                except Exception as exc:  # raised after the group, as it is (not in an exception group)
                    error = exc
                finally:
                    group.cancel_scope.cancel()
            if error is not None:
                raise error
        finally:
            self._holders.pop(session_id, None)
            with anyio.CancelScope(shield=True):
                try:
                    await self.store.unlock(session_id, token)
                except Exception as exc:  # it expires by itself
                    log.warning("could not release the lock of session %s: %s", session_id, exc)

    async def _renew(self, session_id: str, token: str) -> None:
        while True:
            await anyio.sleep(self._lock_ttl / 3)
            try:
                held = await self.store.lock(session_id, token, self._clock(), self._lock_ttl)
            except Exception as exc:  # the store is away for a moment: the next renewal tries again
                log.warning("could not renew the lock of session %s: %s", session_id, exc)
                continue
            if not held:
                log.warning(
                    "session %s: the lock was taken by another call; this answer will not be stored",
                    session_id,
                )
                return

    async def session_for_call(self, call_id: str, owner: str | None = None) -> str | None:
        """The session of ``owner`` that waits for the result of ``call_id``."""
        session_id = await self.store.session_for_call(call_id)
        if session_id is None:
            return None
        session = await self.store.load(session_id)
        return session_id if session is not None and session.owner == owner else None

    async def summaries(self, owner: str | None = None) -> list[SessionSummary]:
        return await self.store.summaries(owner)

    async def history(self, session_id: str, owner: str | None = None) -> Session:
        session = await self.store.load(session_id)
        if session is None or session.owner != owner:
            raise UnknownSession(session_id)
        return session

    def contents_for(self, session: Session, model: ModelInfo, *, repair: bool = False) -> list[Content]:
        """The stored history with signatures re-attached for ``model`` (see :mod:`.signatures`)."""
        turns = [HistoryTurn(t.seq, t.role, t.parts) for t in session.turns]
        return attach(
            turns, session.signatures, model, now=self._clock(), ttl=self.limits.signature_ttl, repair=repair
        )

    async def commit(
        self, session: Session, user: Content, answer: Content, model: str, account: str | None = None
    ) -> None:
        """Store one exchange: the user's turn and the model's, with the model's signatures, made by
        ``account`` (the conversation is on it from now on)."""
        now = self._clock()
        user_parts, _ = split(user, session.next_seq, model, now)
        model_parts, signatures = split(answer, session.next_seq + 1, model, now)
        turns = [
            Turn(session.next_seq, "user", None, user_parts),
            Turn(session.next_seq + 1, "model", model, model_parts),
        ]
        session.model = model
        session.account = account or session.account
        answers_calls = any(part.function_response is not None for part in user.parts)
        await self.store.commit(
            session, turns, signatures, now, answers_calls=answers_calls, holder=self._holders.get(session.id)
        )

    async def reset(self, session: Session) -> None:
        session.waiting = {}
        await self.store.reset(session, self._clock(), holder=self._holders.get(session.id))
