"""The storage contract, run against both backends: the SQLite file and a real Redis.

Each test opens the backend through :func:`open_storage` exactly as the server does; two
storages opened on the same backend stand for two processes (or a restart)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from mcp_antigravity.accounts import Account, AccountsFile
from mcp_antigravity.antigravity import StaticToken, TokenSource
from mcp_antigravity.antigravity.accounts import AccountPool
from mcp_antigravity.antigravity.models import model_info
from mcp_antigravity.antigravity.rotation import Cool, Mark
from mcp_antigravity.antigravity.wire import Content, Part, to_wire
from mcp_antigravity.conversation.errors import SessionConflict, UnknownSession
from mcp_antigravity.conversation.sessions import Sessions
from mcp_antigravity.conversation.store import Limits, Turn
from mcp_antigravity.conversation.turns import WaitingCall
from mcp_antigravity.storage import Storage, open_storage
from tests.conftest import make_settings, store_accounts

pytestmark = pytest.mark.anyio
MODEL = "gemini-3-flash"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


Opener = Callable[..., Awaitable[Storage]]


@pytest.fixture(params=["sqlite", "redis"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """The settings that name one backend (a fresh one for each test)."""
    if request.param == "sqlite":
        return {"data_dir": tmp_path / "data", "output_dir": tmp_path / "images"}
    url = request.getfixturevalue("redis_server")
    return {
        "data_dir": tmp_path / "data",
        "store": url,
        "store_namespace": request.getfixturevalue("redis_namespace"),
    }


@pytest.fixture
async def opener(backend: dict[str, Any]) -> AsyncIterator[Opener]:
    """Opens the backend, as often as a test asks (each storage is one 'process')."""
    async with AsyncExitStack() as stack:

        async def open_one(**limits: Any) -> Storage:
            return await open_storage(make_settings("http://127.0.0.1:9", **backend), Limits(**limits), stack)

        yield open_one


async def sessions_on(opener: Opener, clock: Clock, **limits: Any) -> Sessions:
    return Sessions((await opener(**limits)).sessions, Limits(**limits), clock)


def call_turn(name: str, signature: str | None = "sig") -> Content:
    part: dict[str, Any] = {"functionCall": {"name": name, "args": {}}}
    if signature:
        part["thoughtSignature"] = signature
    return Content.model_validate(
        {"role": "model", "parts": [{"thought": True, "text": "hmm", "thoughtSignature": "t-sig"}, part]}
    )


def answer_turn(name: str) -> Content:
    return Content.model_validate(
        {"role": "user", "parts": [{"functionResponse": {"name": name, "response": {}}}]}
    )


def ask(text: str) -> Content:
    return Content(role="user", parts=[Part(text=text)])


def said(text: str) -> Content:
    return Content(role="model", parts=[Part(text=text)])


async def commit(
    sessions: Sessions,
    session_id: str | None,
    user: Content,
    answer: Content,
    model: str = MODEL,
    *,
    owner: str | None = None,
    account: str | None = None,
    waiting: dict[str, WaitingCall] | None = None,
) -> str:
    async with sessions.hold(session_id, owner) as session:
        session.waiting = waiting or {}
        await sessions.commit(session, user, answer, model, account)
        return session.id


# ----------------------------------------------------------------------------- what is kept


async def test_an_exchange_is_kept_whole_for_another_process(opener: Opener) -> None:
    clock = Clock()
    one, two = await sessions_on(opener, clock), await sessions_on(opener, clock)
    waiting = {"call-1": WaitingCall("f", "up-1")}
    async with one.hold(None, "alice") as session:
        session.system = "be brief"
        session.waiting = waiting
        await one.commit(session, ask("call f"), call_turn("f", "real-signature"), MODEL, "a@example.com")
        session_id, upstream_id = session.id, session.upstream_id
    stored = await two.history(session_id, "alice")
    assert [(t.seq, t.role) for t in stored.turns] == [(0, "user"), (1, "model")]
    assert (stored.system, stored.model, stored.account, stored.owner) == (
        "be brief",
        MODEL,
        "a@example.com",
        "alice",
    )
    assert stored.waiting == waiting and stored.upstream_id == upstream_id and stored.next_seq == 2
    contents = two.contents_for(stored, model_info(MODEL))
    assert to_wire(contents[1].parts[-1])["thoughtSignature"] == "real-signature"
    assert await two.session_for_call("call-1", "alice") == session_id
    assert await two.session_for_call("call-1", "bob") is None  # another caller's call is unknown
    with pytest.raises(UnknownSession):
        await two.history(session_id, "bob")
    assert [s.id for s in await two.summaries("alice")] == [session_id]
    assert await two.summaries("bob") == []
    summary = (await two.summaries("alice"))[0]
    assert (summary.turns, summary.waiting, summary.model) == (2, ["call-1"], MODEL)

    await commit(one, session_id, answer_turn("f"), said("done"), owner="alice", account="a@example.com")
    assert await two.session_for_call("call-1", "alice") is None  # answered: no longer waiting


async def test_a_failed_call_stores_nothing_and_frees_the_session(opener: Opener) -> None:
    clock = Clock()
    sessions = await sessions_on(opener, clock)
    session_id = await commit(sessions, None, ask("q0"), said("a0"))

    async def failing_call() -> None:
        async with sessions.hold(session_id) as session:
            session.system = "changed in memory only"
            raise RuntimeError("upstream went away")

    with pytest.raises(RuntimeError, match="upstream went away"):
        await failing_call()
    stored = await sessions.history(session_id)
    assert [t.parts[0] for t in stored.turns] == [{"text": "q0"}, {"text": "a0"}] and stored.system is None
    with anyio.fail_after(5):  # the lock went with the call
        await commit(sessions, session_id, ask("q1"), said("a1"))


async def test_reset_drops_turns_and_signatures_and_keeps_settings(opener: Opener) -> None:
    clock = Clock()
    sessions = await sessions_on(opener, clock)
    async with sessions.hold(None) as session:
        session.system = "kept"
        await sessions.commit(session, ask("q"), call_turn("f"), MODEL)
        session_id = session.id
    async with sessions.hold(session_id) as session:
        await sessions.reset(session)
    stored = await sessions.history(session_id)
    assert (stored.turns, stored.signatures, stored.system) == ([], [], "kept")


async def test_a_conversation_moved_to_another_account_drops_the_old_signatures(opener: Opener) -> None:
    clock = Clock()
    sessions = await sessions_on(opener, clock)
    session_id = await commit(sessions, None, ask("q0"), call_turn("f", "by-a"), account="a@example.com")
    await commit(sessions, session_id, answer_turn("f"), call_turn("g", "by-b"), account="b@example.com")
    stored = await sessions.history(session_id)
    assert stored.account == "b@example.com"
    assert {s.signature for s in stored.signatures} == {"by-b", "t-sig"}
    assert {s.seq for s in stored.signatures} == {3}


# ----------------------------------------------------------------------------- bounds


async def test_signatures_are_bounded_oldest_first(opener: Opener) -> None:
    clock = Clock()
    sessions = await sessions_on(opener, clock, max_signatures=3)
    ids = []
    for n in range(3):
        clock.now += 1
        ids.append(await commit(sessions, None, ask(f"q{n}"), call_turn(f"f{n}", f"sig{n}")))
    kept = {sid: [s.signature for s in (await sessions.history(sid)).signatures] for sid in ids}
    assert sum(len(v) for v in kept.values()) == 3  # 6 were issued; the bound keeps the 3 newest
    assert kept[ids[0]] == []
    assert sorted(kept[ids[2]]) == ["sig2", "t-sig"]


async def test_expired_signatures_are_deleted(opener: Opener) -> None:
    clock = Clock()
    sessions = await sessions_on(opener, clock, signature_ttl=60.0)
    old = await commit(sessions, None, ask("q"), call_turn("f"))
    clock.now += 61
    await commit(sessions, None, ask("q2"), call_turn("g"))
    assert (await sessions.history(old)).signatures == []


async def test_sessions_are_bounded_by_count_and_age(opener: Opener) -> None:
    clock = Clock()
    sessions = await sessions_on(opener, clock, max_sessions=2, max_age=100.0)
    first = await commit(sessions, None, ask("1"), said("a"), waiting={"c1": WaitingCall("f", "u1")})
    clock.now += 1
    second = await commit(sessions, None, ask("2"), said("b"))
    clock.now += 1
    third = await commit(sessions, None, ask("3"), said("c"))
    assert [s.id for s in await sessions.summaries(None)] == [third, second]
    with pytest.raises(UnknownSession):
        await sessions.history(first)
    assert await sessions.session_for_call("c1") is None  # its waiting call went with it
    clock.now += 200
    fourth = await commit(sessions, None, ask("4"), said("d"))
    assert [s.id for s in await sessions.summaries(None)] == [fourth]


async def test_processes_pruning_at_once_keep_the_bound_and_whole_sessions(opener: Opener) -> None:
    clock = Clock()
    one, two = (
        await sessions_on(opener, clock, max_sessions=10),
        await sessions_on(opener, clock, max_sessions=10),
    )

    async def start(sessions: Sessions, n: int) -> None:
        await commit(sessions, None, ask(f"q{n}"), call_turn(f"f{n}", f"sig{n}"))

    async with anyio.create_task_group() as group:
        for n in range(60):
            group.start_soon(start, (one, two)[n % 2], n)
    await commit(one, None, ask("last"), said("a"))  # one more commit, after all of them
    left = await one.summaries(None)
    assert len(left) == 10
    for summary in left:
        session = await two.history(summary.id)
        called = "functionCall" in session.turns[-1].parts[-1]
        assert len(session.turns) == 2 and {s.seq for s in session.signatures} == ({1} if called else set())


async def test_trimming_keeps_calls_with_their_responses(opener: Opener) -> None:
    clock = Clock()
    sessions = await sessions_on(opener, clock, max_turns=4)
    session_id = await commit(sessions, None, ask("q1"), call_turn("f"), "claude-sonnet-4-6")
    await commit(sessions, session_id, answer_turn("f"), said("a1"), "m")
    await commit(sessions, session_id, ask("q2"), call_turn("g"), "m")
    stored = await sessions.history(session_id)
    # 6 turns, limit 4: the oldest plain question and its call/response exchange go as a block
    assert (stored.turns[0].role, stored.turns[0].parts[0]) == ("user", {"text": "q2"})
    assert len(stored.turns) == 2 and {s.seq for s in stored.signatures} == {5}
    await commit(sessions, session_id, answer_turn("g"), said("a2"), "m")
    turns = (await sessions.history(session_id)).turns
    assert turns[0].parts[0] == {"text": "q2"}  # never starts with a function response


# ----------------------------------------------------------------------------- several processes


async def test_an_exchange_stored_meanwhile_by_another_process_is_followed_not_overwritten(
    opener: Opener,
) -> None:
    """Both processes loaded the session before either committed (the compare-and-set, no lock)."""
    clock = Clock()
    one, two = await sessions_on(opener, clock), await sessions_on(opener, clock)
    session_id = await commit(one, None, ask("q0"), call_turn("f", "sig-0"))
    await commit(one, session_id, answer_turn("f"), said("a0"), "m")
    first, second = await one.history(session_id), await two.history(session_id)
    await one.commit(first, ask("q1"), call_turn("g", "sig-1"), MODEL)
    assert first.next_seq == 6
    await two.commit(second, ask("q2"), said("a2"), "m")
    assert second.next_seq == 8  # appended after the other's exchange
    stored = await one.history(session_id)
    assert [t.seq for t in stored.turns] == list(range(8))
    assert [t.parts[0].get("text") for t in stored.turns if t.role == "user"] == ["q0", None, "q1", "q2"]
    assert {(s.seq, s.signature) for s in stored.signatures} >= {(5, "sig-1")}


async def test_a_conflict_inside_a_function_call_stores_nothing_and_says_so(opener: Opener) -> None:
    clock = Clock()
    one, two = await sessions_on(opener, clock), await sessions_on(opener, clock)
    session_id = await commit(one, None, ask("q0"), said("a0"), "m")
    first, second = await one.history(session_id), await two.history(session_id)
    first.waiting = {"c": WaitingCall("f", "u")}
    await one.commit(first, ask("q1"), call_turn("f"), MODEL)
    with pytest.raises(SessionConflict, match="was not stored"):
        await two.commit(second, ask("q2"), said("a2"), "m")
    stored = await one.history(session_id)
    assert [t.seq for t in stored.turns] == [0, 1, 2, 3] and set(stored.waiting) == {"c"}


async def test_calls_on_one_session_from_two_processes_take_turns(opener: Opener) -> None:
    """The second process's call waits for the first one's turn, then sees it in its history."""
    clock = Clock()
    one, two = await sessions_on(opener, clock), await sessions_on(opener, clock)
    session_id = await commit(one, None, ask("q0"), said("a0"))
    holding, release = anyio.Event(), anyio.Event()
    seen: list[int] = []

    async def first() -> None:
        async with one.hold(session_id) as session:
            holding.set()
            await release.wait()
            await one.commit(session, ask("q1"), said("a1"), MODEL)

    async def second() -> None:
        await holding.wait()
        async with two.hold(session_id) as session:
            seen.append(len(session.turns))
            await two.commit(session, ask("q2"), said("a2"), MODEL)

    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            group.start_soon(first)
            group.start_soon(second)
            await holding.wait()
            assert seen == []  # still waiting for the first call
            release.set()
    assert seen == [4]
    stored = await one.history(session_id)
    assert [t.parts[0]["text"] for t in stored.turns] == ["q0", "a0", "q1", "a1", "q2", "a2"]


async def test_a_lock_has_one_holder_and_expires_when_its_process_dies(opener: Opener) -> None:
    clock = Clock()
    one, two = (await opener()).sessions, (await opener()).sessions
    assert await one.lock("s_1", "holder-1", clock.now, 1.0)
    assert await one.lock("s_1", "holder-1", clock.now, 1.0)  # renewed by its holder
    assert not await two.lock("s_1", "holder-2", clock.now, 1.0)
    await two.unlock("s_1", "holder-2")  # not its lock: nothing happens
    assert not await two.lock("s_1", "holder-2", clock.now, 1.0)
    await one.unlock("s_1", "holder-1")
    assert await two.lock("s_1", "holder-2", clock.now, 0.2)
    # holder-2 dies without unlocking: the lock expires by itself (real time for Redis)
    with anyio.fail_after(10):
        while not await one.lock("s_1", "holder-3", clock.now, 30.0):
            clock.now += 0.1
            await anyio.sleep(0.05)


async def test_a_holder_that_lost_its_lock_cannot_store(opener: Opener) -> None:
    clock = Clock()
    one, two = await sessions_on(opener, clock), await sessions_on(opener, clock)
    session_id = await commit(one, None, ask("q0"), said("a0"))
    session = await one.history(session_id)
    assert await one.store.lock(session_id, "slow", clock.now, 0.2)
    with anyio.fail_after(10):  # it expired; another call took the session
        while not await two.store.lock(session_id, "next", clock.now, 30.0):
            clock.now += 0.1
            await anyio.sleep(0.05)
    late = [Turn(2, "user", None, [{"text": "late"}]), Turn(3, "model", MODEL, [{"text": "late answer"}])]
    with pytest.raises(SessionConflict, match="taken over"):
        await one.store.commit(session, late, [], clock.now, answers_calls=False, holder="slow")
    with pytest.raises(SessionConflict, match="taken over"):
        await one.store.reset(session, clock.now, holder="slow")
    stored = await two.history(session_id)
    assert [t.parts[0]["text"] for t in stored.turns] == ["q0", "a0"] and stored.next_seq == 2


# ----------------------------------------------------------------------------- the same history on both


EXCHANGES = st.lists(st.sampled_from(["plain", "call", "answer-and-call", "answer"]), min_size=1, max_size=12)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=EXCHANGES, max_turns=st.integers(2, 6))
async def test_any_conversation_is_trimmed_without_splitting_a_call(
    opener: Opener, steps: list[str], max_turns: int
) -> None:
    clock = Clock()
    sessions = await sessions_on(opener, clock, max_turns=max_turns)
    session_id: str | None = None
    waiting = False
    expected: list[tuple[int, bool]] = []  # the history as the rule says: (seq, starts a plain user turn)
    for n, step in enumerate(steps):
        if waiting and step in ("plain", "call"):
            step = "answer"  # a waiting call is answered before anything else
        if not waiting and step.startswith("answer"):
            step = "call"
        user = answer_turn(f"f{n - 1}") if step.startswith("answer") else ask(f"q{n}")
        answer = call_turn(f"f{n}", f"sig{n}") if step.endswith("call") else said(f"a{n}")
        clock.now += 1
        session_id = await commit(sessions, session_id, user, answer)
        waiting = step.endswith("call")
        expected += [(2 * n, not step.startswith("answer")), (2 * n + 1, False)]
        if len(expected) > max_turns:  # drop up to the oldest plain question among the last max_turns
            cut = next((i for i in range(len(expected) - max_turns, len(expected)) if expected[i][1]), None)
            expected = expected[cut:] if cut is not None else expected
    assert session_id is not None
    stored = await sessions.history(session_id)
    assert [t.seq for t in stored.turns] == [seq for seq, _ in expected]
    assert stored.turns[0].role == "user"
    assert not any("functionResponse" in p for p in stored.turns[0].parts)  # never starts inside a call
    kept_calls = {t.seq for t in stored.turns if t.role == "model" and "functionCall" in t.parts[-1]}
    assert {s.seq for s in stored.signatures} == kept_calls  # each kept call its signatures, no others
    assert stored.next_seq == 2 * len(steps)


# ----------------------------------------------------------------------------- account state


def _pool(storage: Storage, folder: Path, clock: Clock) -> AccountPool:
    """A process's pool: the accounts file of the shared folder, state where the storage keeps it."""
    accounts_file = AccountsFile(folder / "accounts.json")

    def tokens(account: Account) -> TokenSource:
        return StaticToken(SecretStr("token-for-" + account.email))

    return AccountPool(
        accounts_file.load(),
        tokens,
        file=accounts_file,
        strategy="sticky",
        clock=clock,
        shared=storage.accounts,
    )


async def test_an_account_cooled_in_one_process_is_skipped_by_the_others(
    opener: Opener, tmp_path: Path
) -> None:
    clock = Clock()
    store_accounts(tmp_path / "data", {"a@example.com": "rt-a", "b@example.com": "rt-b"})
    one = _pool(await opener(), tmp_path / "data", clock)
    two = _pool(await opener(), tmp_path / "data", clock)
    clock.now += 2  # past the accounts file's re-read interval
    await one.failed("a@example.com", MODEL, Cool(clock.now + 60, "quota exhausted", spent=True))
    await one.failed("b@example.com", MODEL, Mark("needs_verification", "verify", "https://v.example"))
    await two.sync()
    clock.now += 2
    accounts = {a.email: a for a in two.accounts()}
    assert accounts["a@example.com"].cooldowns[MODEL].until == clock.now - 2 + 60
    assert accounts["a@example.com"].quota[MODEL].remaining == 0.0
    assert accounts["b@example.com"].state == "needs_verification"
    assert two.lease(MODEL) is None  # neither can serve: the other process knows
    assert (lease := two.lease("claude-sonnet-4-6")) is not None and lease.email == "a@example.com"
    stored = (tmp_path / "data" / "accounts.json").read_text()
    assert "token-for" not in stored  # (the file keeps refresh tokens only)


# ----------------------------------------------------------------------------- saved images


async def test_saved_images_are_each_callers_own(opener: Opener) -> None:
    images = (await opener()).images
    other = (await opener()).images
    png = b"\x89PNG\r\n\x1a\n" + b"x" * 100
    saved = await images.save("alice", "20261202-cat-1a2b3c4d-1.png", png)
    assert (saved.name, saved.size, saved.mime_type) == ("20261202-cat-1a2b3c4d-1.png", len(png), "image/png")
    await images.save(None, "20261202-dog-1a2b3c4d-1.jpg", b"\xff\xd8\xff")
    assert await other.read("alice", "20261202-cat-1a2b3c4d-1.png") == png  # any process serves it
    assert await other.read("bob", "20261202-cat-1a2b3c4d-1.png") is None
    assert await other.read(None, "20261202-cat-1a2b3c4d-1.png") is None
    assert [s.name for s in await other.list("alice")] == ["20261202-cat-1a2b3c4d-1.png"]
    assert [s.name for s in await other.list(None)] == ["20261202-dog-1a2b3c4d-1.jpg"]
    for bad in ["../x.png", "x.exe", ".png", "a/b.png", "x.png\x00", ""]:
        assert await other.read("alice", bad) is None
        with pytest.raises(ValueError, match="not an image name"):
            await images.save("alice", bad, png)
