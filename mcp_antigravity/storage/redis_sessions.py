"""The Redis session store: the :class:`~..conversation.store.SessionStore` contract for replicas.

Keys (under the connection's namespace; ``{id}`` is a session id):

* ``s:{id}``: the session's state (JSON: settings, waiting calls, turn counter, owner, account);
* ``t:{id}``: its turns, a list of JSON values, oldest first;
* ``g:{id}``: its thought signatures, a hash ``"{seq}:{part}"`` -> JSON;
* ``sessions``: every session by last update (for the count and age bounds; a session taken
  off it is being deleted), and ``owned:{caller}`` each caller's (for listing);
* ``sigs``: every signature, ``"{id}|{seq}:{part}"`` by creation (the signature bound and TTL);
* ``calls``: waiting call id -> session id;
* ``lock:{id}``: the session lock, a holder token expiring on its own.

A commit is one ``MULTI``/``EXEC`` under ``WATCH`` of the session's state and lock: it checks
the holder and the turn counter, then writes the turns, signatures and state together, or
retries when another process changed either meanwhile. The session's keys expire after the
session age limit; sessions and signatures beyond their bounds go after each commit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from redis.exceptions import WatchError

from ..antigravity.wire import new_session_id
from ..conversation.functions import FunctionSpec
from ..conversation.signatures import Signature
from ..conversation.store import Limits, Session, SessionSummary, Turn, follow, lost_lock, trim_cut
from ..conversation.turns import WaitingCall
from ..files import caller_digest
from .redis import RedisConnection, decode, encode, reported

LOCK = """
local held = redis.call('GET', KEYS[1])
if not held then
    redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
    return 1
elseif held == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return 1
end
return 0
"""
CLAIM = """
local claimed = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, 1000)
local extra = redis.call('ZRANGE', KEYS[1], 0, -(tonumber(ARGV[2]) + 1))
for i = 1, math.min(#extra, 1000) do claimed[#claimed + 1] = extra[i] end
if #claimed > 0 then redis.call('ZREM', KEYS[1], unpack(claimed)) end
return claimed
"""
UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisSessionStore:
    def __init__(self, connection: RedisConnection, limits: Limits) -> None:
        self._c = connection
        self._r = connection.redis
        self._limits = limits
        self._lock = self._r.register_script(LOCK)
        self._unlock = self._r.register_script(UNLOCK)
        self._claim = self._r.register_script(CLAIM)
        self._sessions = connection.key("sessions")
        self._sigs = connection.key("sigs")
        self._calls = connection.key("calls")

    def _owned(self, owner: str | None) -> str:
        """The index of one owner's sessions (see :func:`..files.caller_digest`)."""
        return self._c.key("owned", "local" if owner is None else caller_digest(owner))

    def _keys(self, session_id: str) -> tuple[str, str, str]:
        return self._c.key("s", session_id), self._c.key("t", session_id), self._c.key("g", session_id)

    def _lock_key(self, session_id: str) -> str:
        return self._c.key("lock", session_id)

    async def _watch(self, pipe: Any, session: Session, holder: str | None, *keys: str) -> None:
        """Watch ``keys`` and the session's lock; with ``holder``, refuse unless it holds the lock."""
        lock_key = self._lock_key(session.id)
        await pipe.watch(*keys, lock_key)
        if holder is not None and await pipe.get(lock_key) != holder.encode():
            raise lost_lock(session)

    # ------------------------------------------------------------------ reads

    @reported
    async def load(self, session_id: str) -> Session | None:
        state_key, turns_key, sigs_key = self._keys(session_id)
        async with self._r.pipeline(transaction=True) as pipe:  # one snapshot of the three keys
            pipe.get(state_key).lrange(turns_key, 0, -1).hgetall(sigs_key)
            raw, turns, signatures = await pipe.execute()
        if raw is None:
            return None
        session = _session(decode(raw))
        session.turns = [_turn(decode(t)) for t in turns]
        session.signatures = [_signature(field, decode(value)) for field, value in signatures.items()]
        return session

    @reported
    async def session_for_call(self, call_id: str) -> str | None:
        found = await self._r.hget(self._calls, call_id)
        return found.decode() if found is not None else None

    @reported
    async def summaries(self, owner: str | None) -> list[SessionSummary]:
        ids = [i.decode() for i in await self._r.zrevrange(self._owned(owner), 0, -1)]
        async with self._r.pipeline(transaction=False) as pipe:
            for session_id in ids:
                state_key, turns_key, _ = self._keys(session_id)
                pipe.get(state_key).llen(turns_key)
            answers = await pipe.execute()
        summaries = []
        for raw, count in zip(answers[::2], answers[1::2], strict=True):
            if raw is None:  # expired or pruned meanwhile
                continue
            state = decode(raw)
            if state.get("owner") != owner:
                continue
            summaries.append(
                SessionSummary(
                    state["id"],
                    state["created"],
                    state["updated"],
                    state.get("model"),
                    count,
                    sorted(state.get("waiting", {})),
                    state.get("owner"),
                )
            )
        return summaries

    # ------------------------------------------------------------------ writes

    @reported
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
        state_key, turns_key, sigs_key = self._keys(session.id)
        async with self._r.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await self._watch(pipe, session, holder, state_key, turns_key)
                    raw = await pipe.get(state_key)
                    stored = decode(raw) if raw is not None else None
                    shift = follow(
                        session,
                        None if stored is None else stored["next_seq"],
                        stored is not None and bool(stored.get("waiting")),
                        answers_calls=answers_calls,
                    )
                    moved = stored is not None and stored.get("account") not in (None, session.account)
                    stored_fields = await pipe.hkeys(sigs_key) if moved else []
                    kept = await self._trimmed(pipe, turns_key, sigs_key, turns, shift)
                    base = session.next_seq + shift
                    pipe.multi()
                    if moved:  # the other account's signatures are no use to this one
                        self._drop_signatures(pipe, session.id, sigs_key, stored_fields)
                    pipe.rpush(turns_key, *[encode(_turn_json(t, shift)) for t in turns])
                    self._put_signatures(pipe, session.id, sigs_key, signatures, shift)
                    if kept is not None:
                        dropped_turns, dropped_fields = kept
                        pipe.ltrim(turns_key, dropped_turns, -1)
                        self._drop_signatures(pipe, session.id, sigs_key, dropped_fields)
                    self._save_state(pipe, session, stored, now, next_seq=base + len(turns))
                    await pipe.execute()
                    break
                except WatchError:
                    continue  # another process wrote this session meanwhile: look again
        session.next_seq = base + len(turns)
        await self._prune(now)
        return base

    @reported
    async def reset(self, session: Session, now: float, *, holder: str | None = None) -> None:
        state_key, turns_key, sigs_key = self._keys(session.id)
        async with self._r.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await self._watch(pipe, session, holder, state_key, sigs_key)
                    raw = await pipe.get(state_key)
                    fields = await pipe.hkeys(sigs_key)
                    pipe.multi()
                    pipe.delete(turns_key)
                    self._drop_signatures(pipe, session.id, sigs_key, fields)
                    if raw is not None:  # a session never stored has nothing to keep
                        self._save_state(pipe, session, decode(raw), now)
                    await pipe.execute()
                    return
                except WatchError:
                    continue

    @reported
    async def lock(self, session_id: str, token: str, now: float, ttl: float) -> bool:
        held = await self._lock(keys=[self._lock_key(session_id)], args=[token, max(1, int(ttl * 1000))])
        return bool(held)

    @reported
    async def unlock(self, session_id: str, token: str) -> None:
        await self._unlock(keys=[self._lock_key(session_id)], args=[token])

    async def close(self) -> None:
        return None  # the connection is the storage's to close

    # ------------------------------------------------------------------ inside

    async def _trimmed(
        self, pipe: Any, turns_key: str, sigs_key: str, new: list[Turn], shift: int
    ) -> tuple[int, list[bytes]] | None:
        """What trimming to ``max_turns`` drops once ``new`` is appended: how many stored turns go,
        and the signature fields that go with them."""
        count = await pipe.llen(turns_key)
        if count + len(new) <= self._limits.max_turns:
            return None
        rows = [(t["seq"], t["role"], t["parts"]) for t in map(decode, await pipe.lrange(turns_key, 0, -1))]
        rows += [(t.seq + shift, t.role, t.parts) for t in new]
        cut = trim_cut(rows, self._limits.max_turns)
        if cut is None:
            return None
        fields = [f for f in await pipe.hkeys(sigs_key) if int(f.split(b":", 1)[0]) < cut]
        return sum(1 for seq, _, _ in rows[:count] if seq < cut), fields

    def _put_signatures(
        self, pipe: Any, session_id: str, sigs_key: str, signatures: list[Signature], shift: int
    ) -> None:
        if not signatures:
            return
        values = {
            f"{s.seq + shift}:{s.part}": encode(
                {"digest": s.digest, "model": s.model, "signature": s.signature, "created": s.created}
            )
            for s in signatures
        }
        pipe.hset(sigs_key, mapping=values)
        pipe.zadd(
            self._sigs, {f"{session_id}|{f}": s.created for f, s in zip(values, signatures, strict=True)}
        )
        pipe.expire(sigs_key, self._ttl())

    def _drop_signatures(
        self, pipe: Any, session_id: str, sigs_key: str, fields: Iterable[bytes | str]
    ) -> None:
        names = [f.decode() if isinstance(f, bytes) else f for f in fields]
        if names:
            pipe.hdel(sigs_key, *names)
            pipe.zrem(self._sigs, *[f"{session_id}|{name}" for name in names])

    def _save_state(
        self,
        pipe: Any,
        session: Session,
        stored: dict[str, Any] | None,
        now: float,
        *,
        next_seq: int | None = None,
    ) -> None:
        state_key, turns_key, _ = self._keys(session.id)
        owner: str | None = (
            stored.get("owner") if stored else session.owner
        )  # a session's owner never changes
        state = {
            "id": session.id,
            "created": stored["created"] if stored else session.created,
            "updated": now,
            "model": session.model,
            "system": session.system,
            "functions": [spec.model_dump(exclude_none=True) for spec in session.functions],
            "waiting": {call_id: asdict(call) for call_id, call in session.waiting.items()},
            "next_seq": session.next_seq if next_seq is None else next_seq,
            "upstream_id": session.upstream_id,
            "owner": owner,
            "account": session.account,
        }
        pipe.set(state_key, encode(state), ex=self._ttl())
        pipe.expire(turns_key, self._ttl())
        pipe.zadd(self._sessions, {session.id: now})
        pipe.zadd(self._owned(owner), {session.id: now})
        pipe.expire(self._owned(owner), self._ttl())
        gone = set(stored.get("waiting", {})) - set(session.waiting) if stored else set()
        if gone:
            pipe.hdel(self._calls, *gone)
        if session.waiting:
            pipe.hset(self._calls, mapping=dict.fromkeys(session.waiting, session.id))

    def _ttl(self) -> int:
        return max(1, math.ceil(self._limits.max_age))

    async def _prune(self, now: float) -> None:
        """Sessions and signatures beyond their age and count bounds go. Each is claimed (taken
        off its index) atomically first, so replicas pruning at once never drop the same one
        twice, and the work stays in proportion to what is over the bounds."""
        limits = self._limits
        old = await self._claim(keys=[self._sessions], args=[now - limits.max_age, limits.max_sessions])
        for session_id in {s.decode() for s in old}:  # over both bounds: listed twice
            await self._drop_session(session_id)
        stale = await self._claim(keys=[self._sigs], args=[now - limits.signature_ttl, limits.max_signatures])
        if stale:
            by_session: dict[str, list[str]] = {}
            for member in set(stale):
                session_id, _, field = member.decode().partition("|")
                by_session.setdefault(session_id, []).append(field)
            async with self._r.pipeline(transaction=True) as pipe:
                for session_id, fields in by_session.items():
                    pipe.hdel(self._keys(session_id)[2], *fields)
                await pipe.execute()

    async def _drop_session(self, session_id: str) -> None:
        state_key, turns_key, sigs_key = self._keys(session_id)
        async with self._r.pipeline(transaction=True) as pipe:
            pipe.get(state_key).hkeys(sigs_key)
            raw, fields = await pipe.execute()
            state = decode(raw) if raw is not None else {}
            waiting = list(state.get("waiting", {}))
            pipe.delete(state_key, turns_key, sigs_key)
            pipe.zrem(self._owned(state.get("owner")), session_id)
            if waiting:
                pipe.hdel(self._calls, *waiting)
            if fields:
                pipe.zrem(self._sigs, *[f"{session_id}|{f.decode()}" for f in fields])
            await pipe.execute()


def _turn_json(turn: Turn, shift: int) -> dict[str, Any]:
    return {"seq": turn.seq + shift, "role": turn.role, "model": turn.model, "parts": turn.parts}


def _turn(value: dict[str, Any]) -> Turn:
    return Turn(value["seq"], value["role"], value.get("model"), value["parts"])


def _signature(field: bytes, value: dict[str, Any]) -> Signature:
    seq, part = (int(n) for n in field.split(b":", 1))
    return Signature(seq, part, value["digest"], value["model"], value["signature"], value["created"])


def _session(state: dict[str, Any]) -> Session:
    return Session(
        state["id"],
        state["created"],
        state["updated"],
        state.get("model"),
        state.get("system"),
        [FunctionSpec.model_validate(f) for f in state.get("functions", [])],
        {call_id: WaitingCall(**call) for call_id, call in state.get("waiting", {}).items()},
        state.get("next_seq", 0),
        upstream_id=state.get("upstream_id") or new_session_id(),
        owner=state.get("owner"),
        account=state.get("account"),
    )
