"""Several ``serve --stateless`` replicas on one Redis, as docs/deploy.md runs them: one
conversation moved between replicas on every turn, calls spread over them, one killed mid-run.

The replicas run the command and the settings of ``docs/deploy/compose.yaml`` and
``docs/deploy/replica.env``; only what names the outside world (Google, the Redis host, the
container's paths) is swapped for loopback and this test's folders, and :data:`TEST_ONLY`
says what else differs and why. Each replica has a data directory of its own (a copy of the
accounts file, nothing else): whatever they share, they share through Redis."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio
import anyio.to_thread
import httpx2
import pytest
import yaml
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp.types import BlobResourceContents, ResourceLink

from mcp_antigravity.conversation.sessions import Sessions
from mcp_antigravity.conversation.store import Limits
from mcp_antigravity.emulator import Emulator, parse_fault, running_emulator
from mcp_antigravity.storage import open_storage

from ..conftest import (
    OAUTH_CLIENT,
    A,
    B,
    C,
    generations,
    make_settings,
    store_accounts,
    text_of,
    three_accounts,
)

pytestmark = pytest.mark.anyio

SIGNED = "gemini-3-flash"  # a model whose function calls must come back with their thought signatures
FUNCTION = {
    "name": "lookup",
    "description": "Look a word up",
    "parameters": {"type": "object", "properties": {"word": {"type": "string"}}, "required": ["word"]},
}


class Replica:
    def __init__(self, process: subprocess.Popen[str], endpoint: str) -> None:
        self.process, self.endpoint = process, endpoint

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)


DEPLOY = Path(__file__).parents[2] / "docs" / "deploy"
TEST_ONLY = {
    "ANTIGRAVITY_SESSION_LOCK_TTL": "2",  # a killed replica's lock frees in 2 s, not 15
    "ANTIGRAVITY_ACCOUNT_STRATEGY": "sticky",  # which account serves is then known in advance
    "ANTIGRAVITY_BACKOFF_INITIAL": "0.01",
    "ANTIGRAVITY_BACKOFF_MAX": "0.05",
}
CALLER, TOKEN = "alice", "alice-token-0123456789"
OTHER_TOKEN = "bob-token-0123456789ab"


def deployed() -> tuple[list[str], dict[str, str]]:
    """The replica's command and settings, as compose.yaml and replica.env give them."""
    service = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]["mcp"]
    settings: dict[str, str] = {}
    for line in (DEPLOY / service["env_file"]).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            settings[name.strip()] = value.strip()
    settings.update({k: str(v) for k, v in service["environment"].items()})
    return list(service["command"]), settings


@contextmanager
def started(index: int, tmp_path: Path, command: list[str], env: dict[str, str]) -> Iterator[Replica]:
    """One replica, as compose.yaml runs it (``command``), on a loopback port with a data directory
    of its own."""
    assert command[:2] == ["mcp-antigravity", "serve"] and command[-4:] == [
        "--host",
        "0.0.0.0",
        "--port",
        "8000",
    ]
    data = tmp_path / f"replica-{index}"
    data.mkdir()
    shutil.copy2(tmp_path / "accounts" / "accounts.json", data / "accounts.json")
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("ANTIGRAVITY_")}
    child_env.update(env, ANTIGRAVITY_DATA_DIR=str(data), XDG_DATA_HOME=str(data / "xdg"))
    process = subprocess.Popen(
        [sys.executable, "-m", "mcp_antigravity", *command[1:-4], "--host", "127.0.0.1", "--port", "0"],
        env=child_env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    try:
        for line in process.stderr:  # printed once the socket listens
            if "streamable-http endpoint on" in line:
                break
        else:
            raise AssertionError(f"replica {index} did not start (exit {process.wait()})")
        threading.Thread(target=process.stderr.read, daemon=True).start()  # keep the pipe from filling up
        yield Replica(process, line.rsplit(" ", 1)[-1].strip())
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(10)


@asynccontextmanager
async def deployment(
    tmp_path: Path,
    redis_server: str,
    namespace: str,
    count: int,
    extra: dict[str, str] | None = None,
    **emulated: dict[str, Any],
) -> AsyncIterator[tuple[Emulator, list[Replica], dict[str, Any]]]:
    """The emulator (accounts A, B, C), and ``count`` replicas on one Redis (``extra``: settings of
    this test only); the settings of the store."""
    store_accounts(tmp_path / "accounts", {A: "rt-a", B: "rt-b", C: "rt-c"})
    callers = tmp_path / "callers.toml"
    callers.write_text(f'{CALLER} = "{TOKEN}"\nbob = "{OTHER_TOKEN}"\n')
    callers.chmod(0o600)
    store = urlsplit(redis_server)
    command, settings = deployed()
    assert settings["ANTIGRAVITY_STORE"].startswith("redis://")
    async with running_emulator(three_accounts(**emulated)) as (emulator, url):
        env = {
            **settings,
            # the outside world, on loopback
            "ANTIGRAVITY_STORE": f"redis://{store.hostname}:{store.port}{store.path}",
            "ANTIGRAVITY_STORE_PASSWORD": store.password or "",
            "ANTIGRAVITY_STORE_NAMESPACE": namespace,
            "ANTIGRAVITY_HTTP_TOKENS_FILE": str(callers),
            "ANTIGRAVITY_HTTP_ALLOWED_HOSTS": "127.0.0.1",
            "ANTIGRAVITY_ENDPOINTS": url,
            "ANTIGRAVITY_OAUTH_TOKEN_URL": f"{url}/token",
            "ANTIGRAVITY_OAUTH_CLIENT_ID": OAUTH_CLIENT["oauth_client_id"],
            "ANTIGRAVITY_OAUTH_CLIENT_SECRET": OAUTH_CLIENT["oauth_client_secret"],
            **TEST_ONLY,
            **(extra or {}),
        }
        with ExitStack() as stack:
            replicas = []
            for index in range(count):  # each start reads a pipe: off the event loop the emulator runs on
                replicas.append(
                    await anyio.to_thread.run_sync(
                        stack.enter_context, started(index, tmp_path, command, env)
                    )
                )
            yield emulator, replicas, {"store": redis_server, "store_namespace": namespace}


@asynccontextmanager
async def connected(replica: Replica, token: str = TOKEN) -> AsyncIterator[Client]:
    """An MCP client of the caller ``token`` names (alice by default), on ``replica``."""
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60) as http,
        Client(streamable_http_client(replica.endpoint, http_client=http)) as client,
    ):
        yield client


@asynccontextmanager
async def stored_sessions(store_settings: dict[str, Any], tmp_path: Path) -> AsyncIterator[Sessions]:
    """The sessions as the store holds them, read straight from Redis."""
    async with AsyncExitStack() as stack:
        settings = make_settings("http://127.0.0.1:9", data_dir=tmp_path / "reader", **store_settings)
        storage = await open_storage(settings, Limits(), stack)
        yield Sessions(storage.sessions, Limits())


def signatures_sent(request: dict[str, Any]) -> list[str]:
    """The thought signatures on the function calls of the history a request carried."""
    return [
        part["thoughtSignature"]
        for content in request["body"]["request"]["contents"]
        if content["role"] == "model"
        for part in content["parts"]
        if "functionCall" in part and "thoughtSignature" in part
    ]


async def test_a_conversation_moved_between_replicas_on_every_turn_keeps_everything(
    tmp_path: Path, redis_server: str, redis_namespace: str
) -> None:
    async with deployment(tmp_path, redis_server, redis_namespace, 3) as (emulator, replicas, store):
        results = []
        for turn, arguments in enumerate(
            [
                {"prompt": "please call:lookup", "model": SIGNED, "functions": [FUNCTION]},
                None,  # the results of the calls the model made
                {"prompt": "please call:lookup", "model": SIGNED, "functions": [FUNCTION]},
                None,
                {"prompt": "and now in words", "model": SIGNED},
            ]
        ):
            if arguments is None:
                calls = results[-1].structured_content["function_calls"]
                arguments = {
                    "function_results": [{"id": c["id"], "name": c["name"], "result": "found"} for c in calls]
                }
            elif results:
                arguments["session_id"] = results[0].structured_content["session_id"]
            async with connected(replicas[turn % 3]) as client:  # a different replica each turn
                result = await client.call_tool("chat", arguments)
            assert not result.is_error, text_of(result)
            results.append(result)
        session_id = results[0].structured_content["session_id"]
        assert {r.structured_content["session_id"] for r in results} == {session_id}
        async with stored_sessions(store, tmp_path) as sessions:
            stored = await sessions.history(session_id, CALLER)
    asked = generations(emulator)
    assert len(asked) == 5  # no turn sent twice
    assert [len(r["body"]["request"]["contents"]) for r in asked] == [1, 3, 5, 7, 9]  # nothing lost
    assert [t.role for t in stored.turns] == ["user", "model"] * 5 and stored.waiting == {}
    # the signatures the upstream gave went back with their calls, whichever replica served the turn
    assert len(signatures_sent(asked[-1])) == 2
    assert all(s != "skip_thought_signature_validator" for s in signatures_sent(asked[-1]))
    assert {r["account"] for r in asked} == {A}  # the conversation stayed on its account


async def test_what_a_caller_made_on_one_replica_is_theirs_on_every_replica(
    tmp_path: Path, redis_server: str, redis_namespace: str
) -> None:
    """A saved image and a session, made through one replica, read through another; the other
    caller finds neither on any replica."""
    saved = {"ANTIGRAVITY_INLINE_RESULT_LIMIT": "1000"}  # every image is saved, not inlined
    async with deployment(tmp_path, redis_server, redis_namespace, 3, saved) as (_, replicas, _store):
        async with connected(replicas[0]) as alice:
            drawn = await alice.call_tool("image_generate", {"prompt": "a red square"})
            said = await alice.call_tool("chat", {"prompt": "my plan", "model": SIGNED})
        assert not drawn.is_error, text_of(drawn)
        [link] = [c for c in drawn.content if isinstance(c, ResourceLink)]
        [image] = drawn.structured_content["images"]
        assert "path" not in image or image["path"] is None  # no replica's disk is shown
        session = said.structured_content["session_id"]
        async with connected(replicas[1]) as alice:
            read = await alice.read_resource(link.uri)
            listed = json.loads((await alice.read_resource("antigravity://images")).contents[0].text)
            history = json.loads(
                (await alice.read_resource(f"antigravity://sessions/{session}")).contents[0].text
            )
        async with connected(replicas[2], OTHER_TOKEN) as bob:
            with pytest.raises(MCPError, match="No generated image"):
                await bob.read_resource(link.uri)
            theirs = json.loads((await bob.read_resource("antigravity://images")).contents[0].text)
            refused = await bob.call_tool("chat", {"prompt": "and then?", "session_id": session})
    [content] = read.contents
    assert isinstance(content, BlobResourceContents) and content.mime_type == link.mime_type
    assert len(base64.b64decode(content.blob)) == link.size == image["bytes"]
    assert [i["uri"] for i in listed["images"]] == [link.uri]
    assert [t["role"] for t in history["turns"]] == ["user", "model"]
    assert theirs == {"images": []}
    assert refused.is_error and "Unknown session" in text_of(refused)


async def test_an_account_cooled_on_one_replica_is_skipped_by_the_others(
    tmp_path: Path, redis_server: str, redis_namespace: str
) -> None:
    emulated = {A: {"quota": {SIGNED: 1}}}
    async with deployment(tmp_path, redis_server, redis_namespace, 3, **emulated) as (emulator, replicas, _):

        async def chat(replica: Replica, model: str) -> None:
            async with connected(replica) as client:
                result = await client.call_tool("chat", {"prompt": "hello", "model": model})
            assert not result.is_error, text_of(result)

        for replica in replicas:  # each replica starts on A and reads its quota: SIGNED untouched
            await chat(replica, "claude-sonnet-4-6")
        await chat(replicas[0], SIGNED)  # A's one SIGNED call
        await chat(replicas[0], SIGNED)  # A is spent: this replica learns it and moves to B
        await chat(replicas[1], SIGNED)  # the others last saw A with its quota whole...
        await chat(replicas[2], SIGNED)
    served = [(r["account"], r["status"]) for r in generations(emulator) if r["body"]["model"] == SIGNED]
    # ...and still go straight to B: the cooldown came through the store
    assert served == [(A, 200), (A, 429), (B, 200), (B, 200), (B, 200)]
    assert [r["account"] for r in generations(emulator)][:3] == [A, A, A]


async def test_two_hundred_calls_over_three_replicas_one_killed_lose_no_answered_turn(
    tmp_path: Path, redis_server: str, redis_namespace: str
) -> None:
    async with deployment(tmp_path, redis_server, redis_namespace, 3) as (emulator, replicas, store):
        emulator.faults.add(parse_fault("slow:delay=2,times=0"))
        answered: dict[int, str] = {}  # call -> its session
        conversations: dict[int, list[str]] = {}  # a few conversations of several turns, across replicas
        failed: list[int] = []
        killed = anyio.Event()

        async def one_call(k: int) -> None:
            replica = replicas[k % 3]
            arguments: dict[str, Any] = {"prompt": f"job {k}", "model": "claude-sonnet-4-6"}
            try:
                async with connected(replica) as client:
                    result = await client.call_tool("chat", arguments)
            except Exception:
                failed.append(k)  # its replica died: the caller never got an answer
                return
            assert not result.is_error, text_of(result)
            answered[k] = result.structured_content["session_id"]

        async def conversation(c: int) -> None:
            session: str | None = None
            said = conversations.setdefault(c, [])
            for turn in range(4):
                for attempt in range(3):  # a turn whose replica died is sent again to the next one
                    replica = replicas[(c + turn + attempt) % 3]
                    arguments: dict[str, Any] = {
                        "prompt": f"conv {c} turn {turn}",
                        "model": "claude-sonnet-4-6",
                    }
                    if session is not None:
                        arguments["session_id"] = session
                    try:
                        async with connected(replica) as client:
                            result = await client.call_tool("chat", arguments)
                    except Exception:
                        continue
                    assert not result.is_error, text_of(result)
                    session = result.structured_content["session_id"]
                    said.append(f"conv {c} turn {turn}")
                    break

        async def kill_mid_run() -> None:
            """Once 100 calls are with the upstream (each held there 2 s), replica 2 dies with its share of them."""
            while len(generations(emulator)) < 100:
                await anyio.sleep(0.02)  # the emulator's log has no arrival event to wait on
            replicas[2].kill()
            killed.set()

        with anyio.fail_after(240):
            async with anyio.create_task_group() as group:
                group.start_soon(kill_mid_run)
                for c in range(10):
                    group.start_soon(conversation, c)
                for k in range(200):
                    group.start_soon(one_call, k)
        assert killed.is_set() and failed  # the kill cut calls off...
        assert any(
            r.get("disconnected") for r in generations(emulator)
        )  # ...while the upstream worked on them
        async with stored_sessions(store, tmp_path) as sessions:
            summaries = await sessions.summaries(CALLER)
            stored = {s.id: await sessions.history(s.id, CALLER) for s in summaries}
    for k, session_id in answered.items():  # every answered call: its exchange, once, whole
        turns = stored[session_id].turns
        assert [(t.role, t.parts[0]["text"]) for t in turns] == [
            ("user", f"job {k}"),
            ("model", f"Echo: job {k}"),
        ]
    for session in stored.values():  # nothing half-written anywhere, even from the killed replica
        assert [t.role for t in session.turns] == ["user", "model"] * (len(session.turns) // 2)
        assert len(session.turns) % 2 == 0
    assert len(answered) + len(failed) == 200
    for c, said in conversations.items():  # each conversation: every answered turn, in order
        assert len(said) == 4, (c, said)
        [session] = [s for s in stored.values() if s.turns[0].parts[0]["text"] == f"conv {c} turn 0"]
        asked = [t.parts[0]["text"] for t in session.turns if t.role == "user"]
        assert sorted(set(asked), key=asked.index) == said  # (a turn cut off may also be stored once)
