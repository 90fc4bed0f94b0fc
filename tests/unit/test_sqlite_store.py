"""The signature cache (pure) and what only the SQLite file does: a restart, file permissions.

Bounds, expiry, trimming, locks and several processes: tests/unit/test_store_contract.py, on both backends."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from mcp_antigravity.antigravity.models import model_info
from mcp_antigravity.antigravity.wire import Content, to_wire
from mcp_antigravity.conversation.sessions import Sessions
from mcp_antigravity.conversation.signatures import SENTINEL, HistoryTurn, Signature, attach, digest, split
from mcp_antigravity.conversation.sqlite_store import SqliteDatabase, SqliteStore
from mcp_antigravity.conversation.store import Limits

from .test_store_contract import Clock, ask, call_turn

pytestmark = pytest.mark.anyio


async def open_sessions(path: Path, clock: Clock, **limits: Any) -> Sessions:
    return Sessions(await SqliteStore.open(path, Limits(**limits)), Limits(**limits), clock)


# ----------------------------------------------------------------------------- split / attach (pure)


def test_split_records_each_signature_with_its_part() -> None:
    parts, entries = split(call_turn("f"), seq=7, model="gemini-3-flash", now=5.0)
    assert all("thoughtSignature" not in p for p in parts)
    assert [(e.seq, e.part, e.signature, e.model, e.created) for e in entries] == [
        (7, 0, "t-sig", "gemini-3-flash", 5.0),
        (7, 1, "sig", "gemini-3-flash", 5.0),
    ]
    assert entries[1].digest == digest(parts[1])


def test_attach_puts_signatures_back_only_where_they_belong() -> None:
    parts, entries = split(call_turn("f"), seq=1, model="gemini-3-flash", now=0.0)
    turns = [HistoryTurn(0, "user", [{"text": "q"}]), HistoryTurn(1, "model", parts)]
    same = attach(turns, entries, model_info("gemini-3-flash"), now=10.0, ttl=100.0)
    assert [to_wire(p) for p in same[1].parts] == [
        {"thought": True, "text": "hmm", "thoughtSignature": "t-sig"},
        {"functionCall": {"name": "f", "args": {}}, "thoughtSignature": "sig"},
    ]
    other = attach(turns, entries, model_info("gemini-pro-agent"), now=10.0, ttl=100.0)
    assert [to_wire(p) for p in other[1].parts] == [  # thought dropped, sentinel on the call
        {"functionCall": {"name": "f", "args": {}}, "thoughtSignature": SENTINEL}
    ]
    claude = attach(turns, entries, model_info("claude-opus-4-6-thinking"), now=10.0, ttl=100.0)
    assert [to_wire(p) for p in claude[1].parts] == [{"functionCall": {"name": "f", "args": {}}}]


def test_expired_or_mismatched_signatures_are_not_sent() -> None:
    parts, entries = split(call_turn("f"), seq=1, model="gemini-3-flash", now=0.0)
    turns = [HistoryTurn(1, "model", parts)]
    expired = attach(turns, entries, model_info("gemini-3-flash"), now=101.0, ttl=100.0)
    assert [to_wire(p) for p in expired[0].parts] == [
        {"functionCall": {"name": "f", "args": {}}, "thoughtSignature": SENTINEL}
    ]
    edited = [HistoryTurn(1, "model", [parts[0], {"functionCall": {"name": "f", "args": {"x": 1}}}])]
    mismatch = attach(edited, entries, model_info("gemini-3-flash"), now=1.0, ttl=100.0)
    assert to_wire(mismatch[0].parts[-1])["thoughtSignature"] == SENTINEL
    repaired = attach(turns, entries, model_info("gemini-3-flash"), now=1.0, ttl=100.0, repair=True)
    assert [to_wire(p) for p in repaired[0].parts] == [
        {"functionCall": {"name": "f", "args": {}}, "thoughtSignature": SENTINEL}
    ]


def test_only_the_first_call_of_a_turn_gets_the_sentinel() -> None:
    turns = [
        HistoryTurn(
            1,
            "model",
            [
                {"functionCall": {"name": "a", "args": {}}},
                {"functionCall": {"name": "b", "args": {}}},
                {"text": ""},
            ],
        )
    ]
    [turn] = attach(turns, [], model_info("gemini-3.1-pro-low"), now=0.0, ttl=1.0)
    assert [to_wire(p).get("thoughtSignature") for p in turn.parts] == [SENTINEL, None]  # empty text dropped


# ----------------------------------------------------------------------------- persistence and bounds


async def commit(
    sessions: Sessions, session_id: str | None, user: Content, answer: Content, model: str
) -> str:
    async with sessions.hold(session_id) as session:
        await sessions.commit(session, user, answer, model)
        return session.id


async def test_signatures_survive_a_restart_and_are_hit(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "s.sqlite3"
    sessions = await open_sessions(path, clock)
    session_id = await commit(
        sessions, None, ask("call f"), call_turn("f", "real-signature"), "gemini-3-flash"
    )
    await sessions.store.close()

    reopened = await open_sessions(path, clock)
    session = await reopened.history(session_id)
    contents = reopened.contents_for(session, model_info("gemini-3-flash"))
    assert to_wire(contents[1].parts[-1])["thoughtSignature"] == "real-signature"
    await reopened.store.close()


def test_unknown_entries_do_not_match_other_positions() -> None:
    entry = Signature(seq=1, part=0, digest="x", model="gemini-3-flash", signature="s", created=0.0)
    turns = [HistoryTurn(2, "model", [{"functionCall": {"name": "f", "args": {}}}])]
    [turn] = attach(turns, [entry], model_info("gemini-3-flash"), now=0.0, ttl=10.0)
    assert to_wire(turn.parts[0])["thoughtSignature"] == SENTINEL


# ----------------------------------------------------------------------------- two processes, one file


# ----------------------------------------------------------------------------- private files


def test_the_store_is_private_under_any_umask_and_tightens_what_exists(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        nested = tmp_path / "a" / "b" / "data"
        SqliteDatabase(nested / "sessions.sqlite3").close()
        for folder in (tmp_path / "a", tmp_path / "a" / "b", nested):
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
        assert stat.S_IMODE((nested / "sessions.sqlite3").stat().st_mode) == 0o600

        loose = tmp_path / "loose"
        loose.mkdir(mode=0o755)
        os.chmod(loose, 0o755)
        database = loose / "sessions.sqlite3"
        database.touch()
        os.chmod(database, 0o644)
        SqliteDatabase(database).close()
        assert stat.S_IMODE(loose.stat().st_mode) == 0o700
        assert stat.S_IMODE(database.stat().st_mode) == 0o600
    finally:
        os.umask(old)
