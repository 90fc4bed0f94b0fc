"""What a conversation store keeps, and the async contract every backend implements.

The domain deals in these records only: a :class:`Session` with its :class:`Turn` s (parts in
their wire form, signatures taken off) and its :class:`~.signatures.Signature` s. How they
are laid out on disk or elsewhere is the backend's business (:mod:`.sqlite_store` today).

Commit semantics every backend keeps:

* :meth:`SessionStore.commit` stores one exchange and the session's state atomically, only
  after the upstream answered, as a compare-and-set on the session's turn counter: when another
  process stored turns since ``session`` was loaded, the exchange is appended after them
  (renumbered) as long as that keeps the history valid (neither side is inside a function call);
  otherwise :class:`~.errors.SessionConflict` and nothing is stored.
* The oldest turns beyond ``Limits.max_turns`` are dropped so the history still starts with a
  plain user turn; sessions beyond the count or age limits and signatures beyond theirs go.
* A session lock (:meth:`SessionStore.lock`) serialises calls on one session across processes:
  one holder at a time, named by a random token; it expires ``ttl`` seconds after it was taken
  or last renewed, so a process that dies holding it stops blocking others within ``ttl``. A
  commit given the holder's token is refused (:class:`~.errors.SessionConflict`, nothing stored)
  unless that token still holds the lock: a holder that lost it cannot write over the next one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from ..antigravity.wire import new_session_id
from .errors import SessionConflict
from .functions import FunctionSpec
from .signatures import Signature
from .turns import WaitingCall


@dataclass
class Turn:
    seq: int
    role: str
    model: str | None
    parts: list[dict[str, Any]]
    """The turn's parts in their wire form, signatures taken off (see :mod:`.signatures`)."""


@dataclass
class Session:
    id: str
    created: float
    updated: float
    model: str | None = None
    system: str | None = None
    functions: list[FunctionSpec] = field(default_factory=list)
    waiting: dict[str, WaitingCall] = field(default_factory=dict)
    """Calls of the last answer that wait for the caller's results, by the caller's call id."""
    next_seq: int = 0
    turns: list[Turn] = field(default_factory=list)
    signatures: list[Signature] = field(default_factory=list)
    upstream_id: str = field(default_factory=new_session_id)
    """The ``sessionId`` the upstream sees for this conversation: random, stable, unrelated to ``id``."""
    owner: str | None = None
    """The caller the session belongs to (``None``: the local user, or the one caller of an HTTP
    server with a single token); only that caller sees or continues it."""
    account: str | None = None
    """The account the conversation is on (``None`` before its first turn, or from before accounts).
    Every stored signature of the session was made by this account: a commit by another one
    drops the older signatures."""


@dataclass(frozen=True)
class SessionSummary:
    id: str
    created: float
    updated: float
    model: str | None
    turns: int
    waiting: list[str]
    owner: str | None = None


@dataclass(frozen=True)
class Limits:
    max_sessions: int = 200
    max_age: float = 30 * 86400.0
    max_turns: int = 200
    max_signatures: int = 5000
    signature_ttl: float = 7 * 86400.0


class SessionStore(Protocol):
    """Where sessions live. Every method may be called concurrently from one event loop."""

    async def load(self, session_id: str) -> Session | None: ...

    async def session_for_call(self, call_id: str) -> str | None:
        """The session whose last answer asked for the call ``call_id``."""
        ...

    async def summaries(self, owner: str | None) -> list[SessionSummary]:
        """``owner``'s sessions, most recently updated first."""
        ...

    async def commit(
        self,
        session: Session,
        turns: list[Turn],
        signatures: list[Signature],
        now: float,
        *,
        answers_calls: bool,
        holder: str | None = None,
    ) -> int:
        """Store one exchange (see the module documentation); returns the sequence number it was
        stored from, and advances ``session.next_seq``. With ``holder``, only while that token holds the
        session's lock."""
        ...

    async def reset(self, session: Session, now: float, *, holder: str | None = None) -> None:
        """Drop the session's turns and signatures; keep (and save) its settings. With ``holder``,
        only while that token holds the session's lock."""
        ...

    async def lock(self, session_id: str, token: str, now: float, ttl: float) -> bool:
        """Take the session's lock for ``token`` unless another token holds it (and has not
        expired); taking it again with the same token renews it. ``True`` when ``token`` holds it."""
        ...

    async def unlock(self, session_id: str, token: str) -> None:
        """Release the lock if ``token`` holds it (else nothing)."""
        ...

    async def close(self) -> None: ...


# ---------------------------------------------------------------------- rules every backend applies


def follow(session: Session, stored_next: int | None, stored_waiting: bool, *, answers_calls: bool) -> int:
    """How far the exchange must be renumbered to follow what was stored since ``session`` was
    loaded (``stored_next``: the stored turn counter, ``None`` for a session not stored yet);
    raises :class:`SessionConflict` when following would break the history."""
    if stored_next is None or stored_next == session.next_seq:
        return 0
    if answers_calls or stored_waiting or stored_next < session.next_seq:
        now_state = "waits for function results" if stored_waiting else "has other turns"
        raise SessionConflict(
            f"Session {session.id} was changed by another process sharing its store while this call ran "
            f"(it now {now_state}), so this answer was not stored. Read the session again (resource "
            "antigravity://sessions/{id}) and retry."
        )
    return stored_next - session.next_seq


def lost_lock(session: Session) -> SessionConflict:
    return SessionConflict(
        f"Session {session.id} was taken over by another call while this one ran (this process held its lock "
        "too long without renewing it), so this answer was not stored. Retry the call."
    )


def trim_cut(turns: list[tuple[int, str, list[dict[str, Any]]]], max_turns: int) -> int | None:
    """The first sequence number kept when ``turns`` (seq, role, parts; oldest first) hold more
    than ``max_turns``: the oldest plain user turn within the last ``max_turns``, so a function
    call never loses its response (or a response its call). ``None``: nothing to drop."""
    if len(turns) <= max_turns:
        return None
    return next(
        (
            seq
            for i, (seq, role, parts) in enumerate(turns)
            if i >= len(turns) - max_turns
            and role == "user"
            and not any("functionResponse" in p for p in parts)
        ),
        None,
    )
