"""A conversation and the pool of accounts: it stays on its account while that account can serve,
and when it must move, the other account gets the history without the first one's signatures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mcp_antigravity.conversation.functions import FunctionSpec
from mcp_antigravity.conversation.service import ChatRequest
from mcp_antigravity.conversation.signatures import SENTINEL
from mcp_antigravity.conversation.turns import FunctionResult
from mcp_antigravity.emulator import running_emulator
from mcp_antigravity.emulator.accounts import EmulatedAccount
from mcp_antigravity.emulator.app import EmulatorConfig
from mcp_antigravity.server.runtime import Runtime

from ..conftest import PROJECT, TOKEN, generations, pool_settings, store_accounts

pytestmark = pytest.mark.anyio

MODEL = "gemini-3-flash"
A, B = "a@example.com", "b@example.com"
CLOCK = FunctionSpec.model_validate(
    {"name": "clock", "description": "The time", "parameters": {"type": "object"}}
)


def calls_in(request: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for c in request["contents"] if c["role"] == "model" for p in c["parts"] if "functionCall" in p]


async def test_a_conversation_keeps_its_account_until_it_must_move(tmp_path: Path) -> None:
    config = EmulatorConfig(
        token=TOKEN,
        project=PROJECT,
        email=A,
        refresh_token="rt-a",
        accounts=[
            EmulatedAccount(A, TOKEN, "rt-a", PROJECT, quota={MODEL: 2}),
            EmulatedAccount(B, "tok-b", "rt-b", "proj-b"),
        ],
    )
    store_accounts(tmp_path, {A: "rt-a", B: "rt-b"})
    async with running_emulator(config) as (instance, url):
        # new calls rotate; a conversation does not
        settings = pool_settings(url, tmp_path, account_strategy="round-robin")
        async with Runtime(settings) as runtime:
            conversations = runtime.conversations
            asked = await conversations.take_turn(
                ChatRequest(prompt="call:clock", functions=[CLOCK], model=MODEL)
            )
            session = asked.session_id
            [call] = asked.function_calls
            await conversations.take_turn(
                ChatRequest(function_results=[FunctionResult(id=call.id, name="clock", result="12:00")])
            )
            moved = await conversations.take_turn(ChatRequest(prompt="and now?", session_id=session))
            after = await conversations.take_turn(ChatRequest(prompt="still there?", session_id=session))
            stored = await conversations.sessions.history(session)

    assert moved.answer is not None and moved.answer.text == "Echo: and now?"
    assert after.answer is not None and after.answer.text == "Echo: still there?"
    served = [(r["account"], r["status"]) for r in generations(instance)]
    assert served == [(A, 200), (A, 200), (A, 429), (B, 200), (B, 200)]
    on_a = generations(instance)[1]["body"]["request"]
    assert [p["thoughtSignature"] != SENTINEL for p in calls_in(on_a)] == [True]  # A's own signature, on A
    first_on_b = generations(instance)[3]["body"]["request"]
    # A's signature on the clock call did not travel: the history went repaired (it would be a 400)
    assert [p["thoughtSignature"] for p in calls_in(first_on_b)] == [SENTINEL]
    assert stored.account == B
    assert stored.signatures and all(s.seq >= 4 for s in stored.signatures)  # only B's, of its own turns
    last = generations(instance)[4]["body"]["request"]
    assert [p["thoughtSignature"] for p in calls_in(last)] == [SENTINEL]
    assert any(
        "thoughtSignature" in p and p["thoughtSignature"] != SENTINEL
        for c in last["contents"]
        if c["role"] == "model"
        for p in c["parts"]
    )
