"""Conversations over a store: one lock per session, history with its signatures, commits.

* :meth:`Sessions.hold` serializes calls on the same session in this process (the store's
  compare-and-set covers other processes): the second caller waits until the first one's turn
  is stored, so turns are never lost or interleaved.
* Turns are written only by :meth:`Sessions.commit`, after the upstream answered: a failed or
  cancelled call leaves the session as it was.
"""

from __future__ import annotations

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


class Sessions:
    def __init__(self, store: SessionStore, limits: Limits, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.limits = limits
        self._clock = clock
        self._locks: WeakValueDictionary[str, anyio.Lock] = WeakValueDictionary()

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
        async with lock:
            yield await self.history(session_id, owner)

    async def session_for_call(self, call_id: str, owner: str | None = None) -> str | None:
        """The session of ``owner`` that waits for the result of ``call_id``."""
        session_id = await self.store.session_for_call(call_id)
        if session_id is None:
            return None
        session = await self.store.load(session_id)
        return session_id if session is not None and session.owner == owner else None

    async def summaries(self, owner: str | None = None) -> list[SessionSummary]:
        return [s for s in await self.store.summaries() if s.owner == owner]

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
        await self.store.commit(session, turns, signatures, now, answers_calls=answers_calls)

    async def reset(self, session: Session) -> None:
        session.waiting = {}
        await self.store.reset(session, self._clock())
