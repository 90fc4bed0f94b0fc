"""SQLite persistence for sessions, their turns and their thought signatures.

Synchronous on purpose: :class:`~mcp_antigravity.conversation.sessions.Sessions` runs every call in a
worker thread, one at a time, so the event loop never waits on the disk. Each write is one
transaction: a turn and its signatures land together or not at all. The file and its folder
are private to the user (0600 / 0700), tightened when they already exist.

Several processes may share one file (two desktop windows, a desktop app and a CLI). A
commit is a compare-and-set on the session's turn counter, inside ``BEGIN IMMEDIATE``: when
another process stored turns since this one loaded the session, the new exchange is
appended after them (its turns and signatures renumbered) as long as that keeps the history
valid, that is, neither the stored history nor the new turn is in the middle of a function
call; otherwise :class:`SessionConflict` says so and nothing is stored.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..antigravity.wire import new_session_id
from ..files import private_directory, private_file

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
CREATE TABLE IF NOT EXISTS waiting_calls (
    call_id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE
);
"""


class SessionConflict(Exception):
    """Another process changed the session in a way this exchange cannot follow; nothing was stored."""


@dataclass
class StoredTurn:
    seq: int
    role: str
    model: str | None
    parts: list[dict[str, Any]]


@dataclass(frozen=True)
class StoredSignature:
    seq: int
    part: int
    digest: str
    model: str
    signature: str
    created: float


@dataclass
class StoredSession:
    id: str
    created: float
    updated: float
    model: str | None = None
    system: str | None = None
    functions: list[dict[str, Any]] = field(default_factory=list)
    waiting: dict[str, dict[str, Any]] = field(default_factory=dict)
    next_seq: int = 0
    turns: list[StoredTurn] = field(default_factory=list)
    signatures: list[StoredSignature] = field(default_factory=list)
    upstream_id: str = field(default_factory=lambda: new_session_id())
    """The ``sessionId`` the upstream sees for this conversation: random, stable, unrelated to ``id``."""


@dataclass(frozen=True)
class Limits:
    max_sessions: int = 200
    max_age: float = 30 * 86400.0
    max_turns: int = 200
    max_signatures: int = 5000
    signature_ttl: float = 7 * 86400.0


BUSY_TIMEOUT = 30.0
"""Seconds a write waits for another process's transaction on the same file."""


class SessionStore:
    def __init__(self, path: Path) -> None:
        private_directory(path.parent)
        private_file(path)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT)
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(sessions)")}
        if "upstream_id" not in columns:  # a store from before upstream session ids
            self._db.execute("ALTER TABLE sessions ADD COLUMN upstream_id TEXT")

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

    def load(self, session_id: str) -> StoredSession | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, created, updated, model, system, functions, waiting, next_seq, upstream_id FROM sessions "
                "WHERE id = ?",
                (session_id,),
            ).fetchone()
            if row is None:
                return None
            turns = [
                StoredTurn(seq, role, model, json.loads(parts))
                for seq, role, model, parts in self._db.execute(
                    "SELECT seq, role, model, parts FROM turns WHERE session_id = ? ORDER BY seq",
                    (session_id,),
                )
            ]
            signatures = [
                StoredSignature(*r)
                for r in self._db.execute(
                    "SELECT seq, part, digest, model, signature, created FROM signatures WHERE session_id = ?",
                    (session_id,),
                )
            ]
        return StoredSession(
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            json.loads(row[5]),
            json.loads(row[6]),
            row[7],
            turns,
            signatures,
            row[8] or new_session_id(),
        )

    def session_for_call(self, call_id: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT session_id FROM waiting_calls WHERE call_id = ?", (call_id,)
            ).fetchone()
        return row[0] if row else None

    def summaries(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT s.id, s.created, s.updated, s.model, s.waiting, COUNT(t.seq) FROM sessions s "
                "LEFT JOIN turns t ON t.session_id = s.id GROUP BY s.id ORDER BY s.updated DESC"
            ).fetchall()
        return [
            {
                "id": r[0],
                "created": r[1],
                "updated": r[2],
                "model": r[3],
                "turns": r[5],
                "waiting_for_function_results": sorted(json.loads(r[4])),
            }
            for r in rows
        ]

    # ------------------------------------------------------------------ writes

    def commit_turns(
        self,
        session: StoredSession,
        turns: list[StoredTurn],
        signatures: list[StoredSignature],
        now: float,
        limits: Limits,
        *,
        answers_calls: bool = False,
    ) -> int:
        """Append turns and their signatures, and save the session's state, in one transaction.

        ``turns`` are numbered from ``session.next_seq`` as loaded; ``answers_calls`` says the first
        one carries function results. Returns the sequence number the turns were stored from (later
        than loaded when another process committed meanwhile; see the module documentation).
        """
        with self._transaction() as db:
            row = db.execute("SELECT next_seq, waiting FROM sessions WHERE id = ?", (session.id,)).fetchone()
            shift = 0
            if row is not None and row[0] != session.next_seq:
                stored_waiting = json.loads(row[1])
                if answers_calls or stored_waiting or row[0] < session.next_seq:
                    now_state = "waits for function results" if stored_waiting else "has other turns"
                    raise SessionConflict(
                        f"Session {session.id} was changed by another process using the same data directory "
                        f"while this call ran (it now {now_state}), so this answer was not stored. Read the "
                        "session again (resource antigravity://sessions/{id}) and retry."
                    )
                shift = row[0] - session.next_seq
            db.execute(
                "INSERT OR IGNORE INTO sessions (id, created, updated) VALUES (?, ?, ?)",
                (session.id, session.created, now),
            )
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

    def reset(self, session: StoredSession, now: float) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM turns WHERE session_id = ?", (session.id,))
            db.execute("DELETE FROM signatures WHERE session_id = ?", (session.id,))
            self._save_state(db, session, now)

    def delete(self, session_id: str) -> bool:
        with self._transaction() as db:
            return db.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount > 0

    def _save_state(
        self, db: sqlite3.Connection, session: StoredSession, now: float, *, next_seq: int | None = None
    ) -> None:
        db.execute(
            "UPDATE sessions SET updated = ?, model = ?, system = ?, functions = ?, waiting = ?, next_seq = ?, "
            "upstream_id = ? WHERE id = ?",
            (
                now,
                session.model,
                session.system,
                json.dumps(session.functions),
                json.dumps(session.waiting),
                session.next_seq if next_seq is None else next_seq,
                session.upstream_id,
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
        cut = next(
            (
                seq
                for i, (seq, role, parts) in enumerate(rows)
                if i >= len(rows) - max_turns
                and role == "user"
                and not any("functionResponse" in part for part in json.loads(parts))
            ),
            None,
        )
        if cut is not None:
            db.execute("DELETE FROM turns WHERE session_id = ? AND seq < ?", (session_id, cut))
            db.execute("DELETE FROM signatures WHERE session_id = ? AND seq < ?", (session_id, cut))

    def _prune(self, db: sqlite3.Connection, now: float, limits: Limits) -> None:
        db.execute("DELETE FROM sessions WHERE updated < ?", (now - limits.max_age,))
        db.execute(
            "DELETE FROM sessions WHERE id NOT IN (SELECT id FROM sessions ORDER BY updated DESC LIMIT ?)",
            (limits.max_sessions,),
        )
        db.execute("DELETE FROM signatures WHERE created < ?", (now - limits.signature_ttl,))
        db.execute(
            "DELETE FROM signatures WHERE rowid NOT IN (SELECT rowid FROM signatures ORDER BY created DESC LIMIT ?)",
            (limits.max_signatures,),
        )
