"""The SQLite session store: the default backend, one file in the data directory.

:class:`SqliteDatabase` is the file, synchronous; :class:`SqliteStore` implements the async
:class:`~.store.SessionStore` contract over it, running every call in a worker thread, one at
a time, so the event loop never waits on the disk. Each write is one transaction: a turn and
its signatures land together or not at all. The file and its folder are private to the user
(0600 / 0700), tightened when they already exist.

Several processes may share one file (two desktop windows, a desktop app and a CLI). A
commit is a compare-and-set on the session's turn counter, inside ``BEGIN IMMEDIATE``: when
another process stored turns since this one loaded the session, the new exchange is
appended after them (its turns and signatures renumbered) as long as that keeps the history
valid, that is, neither the stored history nor the new turn is in the middle of a function
call; otherwise :class:`~.errors.SessionConflict` says so and nothing is stored. Session locks
(see :mod:`.store`) are rows of ``locks`` with their expiry, taken and checked inside the same
kind of transaction.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from ..antigravity.wire import new_session_id
from ..files import private_directory, private_file
from .functions import FunctionSpec
from .signatures import Signature
from .store import Limits, Session, SessionSummary, Turn, follow, lost_lock, trim_cut
from .turns import WaitingCall

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    model TEXT,
    system TEXT,
    functions TEXT NOT NULL DEFAULT '[]',
    waiting TEXT NOT NULL DEFAULT '{}',
    next_seq INTEGER NOT NULL DEFAULT 0,
    upstream_id TEXT
);
CREATE TABLE IF NOT EXISTS turns (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    role TEXT NOT NULL,
    model TEXT,
    parts TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
);
CREATE TABLE IF NOT EXISTS signatures (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    part INTEGER NOT NULL,
    digest TEXT NOT NULL,
    model TEXT NOT NULL,
    signature TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (session_id, seq, part)
);
CREATE INDEX IF NOT EXISTS signatures_by_age ON signatures(created);
CREATE INDEX IF NOT EXISTS sessions_by_update ON sessions(updated);
CREATE TABLE IF NOT EXISTS waiting_calls (
    call_id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS locks (
    session_id TEXT PRIMARY KEY,
    token TEXT NOT NULL,
    expires REAL NOT NULL
);
"""


BUSY_TIMEOUT = 30.0
"""Seconds a write waits for another process's transaction on the same file."""


class SqliteDatabase:
    """The file itself: synchronous, each method one transaction, safe from any one thread at a time."""

    def __init__(self, path: Path) -> None:
        private_directory(path.parent)
        private_file(path)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT)
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        # WAL with NORMAL: a commit survives the process being killed at any moment; only a power
        # loss or an OS crash may take back the last commits (never half of one).
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(sessions)")}
        if "upstream_id" not in columns:  # a store from before upstream session ids
            self._db.execute("ALTER TABLE sessions ADD COLUMN upstream_id TEXT")
        if "account" not in columns:  # a store from before accounts
            self._db.execute("ALTER TABLE sessions ADD COLUMN account TEXT")
        if "owner" not in columns:  # a store from before callers had sessions of their own
            self._db.execute("ALTER TABLE sessions ADD COLUMN owner TEXT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # ------------------------------------------------------------------ reads

    def load(self, session_id: str) -> Session | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, created, updated, model, system, functions, waiting, next_seq, upstream_id, account, "
                "owner FROM sessions "
                "WHERE id = ?",
                (session_id,),
            ).fetchone()
            if row is None:
                return None
            turns = [
                Turn(seq, role, model, json.loads(parts))
                for seq, role, model, parts in self._db.execute(
                    "SELECT seq, role, model, parts FROM turns WHERE session_id = ? ORDER BY seq",
                    (session_id,),
                )
            ]
            signatures = [
                Signature(*r)
                for r in self._db.execute(
                    "SELECT seq, part, digest, model, signature, created FROM signatures WHERE session_id = ?",
                    (session_id,),
                )
            ]
        return Session(
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            [FunctionSpec.model_validate(f) for f in json.loads(row[5])],
            {call_id: WaitingCall(**call) for call_id, call in json.loads(row[6]).items()},
            row[7],
            turns,
            signatures,
            row[8] or new_session_id(),
            owner=row[10],
            account=row[9],
        )

    def session_for_call(self, call_id: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT session_id FROM waiting_calls WHERE call_id = ?", (call_id,)
            ).fetchone()
        return row[0] if row else None

    def summaries(self, owner: str | None) -> list[SessionSummary]:
        with self._lock:
            rows = self._db.execute(
                "SELECT s.id, s.created, s.updated, s.model, s.waiting, COUNT(t.seq), s.owner FROM sessions s "
                "LEFT JOIN turns t ON t.session_id = s.id WHERE s.owner IS ? GROUP BY s.id ORDER BY s.updated DESC",
                (owner,),
            ).fetchall()
        return [SessionSummary(r[0], r[1], r[2], r[3], r[5], sorted(json.loads(r[4])), r[6]) for r in rows]

    # ------------------------------------------------------------------ writes

    def commit_turns(
        self,
        session: Session,
        turns: list[Turn],
        signatures: list[Signature],
        now: float,
        limits: Limits,
        *,
        answers_calls: bool = False,
        holder: str | None = None,
    ) -> int:
        """Append turns and their signatures, and save the session's state, in one transaction.

        ``turns`` are numbered from ``session.next_seq`` as loaded; ``answers_calls`` says the first
        one carries function results. Returns the sequence number the turns were stored from (later
        than loaded when another process committed meanwhile; see the module documentation).
        """
        with self._transaction() as db:
            if holder is not None and not self._holds(db, session.id, holder, now):
                raise lost_lock(session)
            row = db.execute(
                "SELECT next_seq, waiting, account FROM sessions WHERE id = ?", (session.id,)
            ).fetchone()
            shift = follow(
                session,
                None if row is None else row[0],
                row is not None and bool(json.loads(row[1])),
                answers_calls=answers_calls,
            )
            db.execute(
                "INSERT OR IGNORE INTO sessions (id, created, updated, owner) VALUES (?, ?, ?, ?)",
                (session.id, session.created, now, session.owner),
            )
            if row is not None and row[2] is not None and row[2] != session.account:
                # the conversation moved: the other account's signatures are no use to this one
                db.execute("DELETE FROM signatures WHERE session_id = ?", (session.id,))
            db.executemany(
                "INSERT INTO turns (session_id, seq, role, model, parts) VALUES (?, ?, ?, ?, ?)",
                [(session.id, t.seq + shift, t.role, t.model, json.dumps(t.parts)) for t in turns],
            )
            db.executemany(
                "INSERT OR REPLACE INTO signatures (session_id, seq, part, digest, model, signature, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (session.id, s.seq + shift, s.part, s.digest, s.model, s.signature, s.created)
                    for s in signatures
                ],
            )
            base = session.next_seq + shift
            self._save_state(db, session, now, next_seq=base + len(turns))
            self._trim(db, session.id, limits.max_turns)
            self._prune(db, now, limits)
        session.next_seq = base + len(turns)
        return base

    def lock(self, session_id: str, token: str, now: float, ttl: float) -> bool:
        with self._transaction() as db:
            db.execute("DELETE FROM locks WHERE session_id = ? AND expires <= ?", (session_id, now))
            db.execute(
                "INSERT INTO locks (session_id, token, expires) VALUES (?, ?, ?) "
                "ON CONFLICT(session_id) DO UPDATE SET expires = excluded.expires WHERE token = excluded.token",
                (session_id, token, now + ttl),
            )
            return self._holds(db, session_id, token, now)

    def unlock(self, session_id: str, token: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM locks WHERE session_id = ? AND token = ?", (session_id, token))

    @staticmethod
    def _holds(db: sqlite3.Connection, session_id: str, token: str, now: float) -> bool:
        row = db.execute(
            "SELECT 1 FROM locks WHERE session_id = ? AND token = ? AND expires > ?", (session_id, token, now)
        ).fetchone()
        return row is not None

    def reset(self, session: Session, now: float, holder: str | None = None) -> None:
        with self._transaction() as db:
            if holder is not None and not self._holds(db, session.id, holder, now):
                raise lost_lock(session)
            db.execute("DELETE FROM turns WHERE session_id = ?", (session.id,))
            db.execute("DELETE FROM signatures WHERE session_id = ?", (session.id,))
            self._save_state(db, session, now)

    def _save_state(
        self, db: sqlite3.Connection, session: Session, now: float, *, next_seq: int | None = None
    ) -> None:
        db.execute(
            "UPDATE sessions SET updated = ?, model = ?, system = ?, functions = ?, waiting = ?, next_seq = ?, "
            "upstream_id = ?, account = ? WHERE id = ?",
            (
                now,
                session.model,
                session.system,
                json.dumps([spec.model_dump(exclude_none=True) for spec in session.functions]),
                json.dumps({call_id: asdict(call) for call_id, call in session.waiting.items()}),
                session.next_seq if next_seq is None else next_seq,
                session.upstream_id,
                session.account,
                session.id,
            ),
        )
        db.execute("DELETE FROM waiting_calls WHERE session_id = ?", (session.id,))
        db.executemany(
            "INSERT OR REPLACE INTO waiting_calls (call_id, session_id) VALUES (?, ?)",
            [(call_id, session.id) for call_id in session.waiting],
        )

    def _trim(self, db: sqlite3.Connection, session_id: str, max_turns: int) -> None:
        """Drop the oldest turns beyond ``max_turns``; the history still starts with a plain user turn,
        so a function call never loses its response (or a response its call)."""
        rows = db.execute(
            "SELECT seq, role, parts FROM turns WHERE session_id = ? ORDER BY seq", (session_id,)
        ).fetchall()
        if len(rows) <= max_turns:
            return
        cut = trim_cut([(seq, role, json.loads(parts)) for seq, role, parts in rows], max_turns)
        if cut is not None:
            db.execute("DELETE FROM turns WHERE session_id = ? AND seq < ?", (session_id, cut))
            db.execute("DELETE FROM signatures WHERE session_id = ? AND seq < ?", (session_id, cut))

    def _prune(self, db: sqlite3.Connection, now: float, limits: Limits) -> None:
        """Sessions and signatures beyond their age and count limits go. Each count bound walks
        an index from the newest row past the limit (no temporary set of the rows kept, no scan
        of the whole table), so it is cheap enough for every commit."""
        db.execute("DELETE FROM sessions WHERE updated < ?", (now - limits.max_age,))
        db.execute("DELETE FROM locks WHERE expires <= ?", (now,))
        db.execute(
            "DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions ORDER BY updated DESC, rowid DESC "
            "LIMIT -1 OFFSET ?)",
            (limits.max_sessions,),
        )
        db.execute("DELETE FROM signatures WHERE created < ?", (now - limits.signature_ttl,))
        db.execute(
            "DELETE FROM signatures WHERE rowid IN (SELECT rowid FROM signatures ORDER BY created DESC, rowid DESC "
            "LIMIT -1 OFFSET ?)",
            (limits.max_signatures,),
        )


class SqliteStore:
    """The :class:`~.store.SessionStore` contract over one SQLite file."""

    def __init__(self, database: SqliteDatabase, limits: Limits) -> None:
        self._db = database
        self._limits = limits
        self._disk = anyio.CapacityLimiter(1)

    @classmethod
    async def open(cls, path: Path, limits: Limits) -> SqliteStore:
        return cls(await anyio.to_thread.run_sync(SqliteDatabase, path), limits)

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(fn, *args, limiter=self._disk)

    async def load(self, session_id: str) -> Session | None:
        return await self._run(self._db.load, session_id)

    async def session_for_call(self, call_id: str) -> str | None:
        return await self._run(self._db.session_for_call, call_id)

    async def summaries(self, owner: str | None) -> list[SessionSummary]:
        return await self._run(self._db.summaries, owner)

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
        return await self._run(
            functools.partial(self._db.commit_turns, answers_calls=answers_calls, holder=holder),
            session,
            turns,
            signatures,
            now,
            self._limits,
        )

    async def reset(self, session: Session, now: float, *, holder: str | None = None) -> None:
        await self._run(self._db.reset, session, now, holder)

    async def lock(self, session_id: str, token: str, now: float, ttl: float) -> bool:
        return await self._run(self._db.lock, session_id, token, now, ttl)

    async def unlock(self, session_id: str, token: str) -> None:
        await self._run(self._db.unlock, session_id, token)

    async def close(self) -> None:
        await self._run(self._db.close)
