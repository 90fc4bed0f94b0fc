"""The conversation service on its own: no MCP client, real HTTP to the emulator, a real SQLite store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mcp_antigravity.antigravity import RateLimitError
from mcp_antigravity.conversation.errors import AwaitingResults, NothingToAsk, UnknownCall, UnknownSession
from mcp_antigravity.conversation.functions import FunctionSpec
from mcp_antigravity.conversation.service import ChatRequest, Conversations
from mcp_antigravity.conversation.turns import FunctionResult, Sampling
from mcp_antigravity.emulator import Emulator, parse_fault
from mcp_antigravity.server.runtime import Runtime

from ..conftest import generations, make_settings

pytestmark = pytest.mark.anyio

Running = tuple[Emulator, str]
LOOKUP = FunctionSpec.model_validate(
    {
        "name": "look/up",
        "description": "Look a word up",
        "parameters": {"type": "object", "properties": {"word": {"type": "string"}}, "required": ["word"]},
    }
)


@pytest.fixture
async def conversations(emulator: Running, tmp_path: Path) -> AsyncIterator[Conversations]:
    _, url = emulator
    async with Runtime(make_settings(url, data_dir=tmp_path, default_model="claude-sonnet-4-6")) as runtime:
        yield runtime.conversations


async def test_a_conversation_continues_with_its_history(
    conversations: Conversations, emulator: Running
) -> None:
    instance, _ = emulator
    first = await conversations.take_turn(ChatRequest(prompt="one", system="be brief"))
    assert first.answer is not None and first.answer.text == "[system: be brief] Echo: one"
    assert first.model == "claude-sonnet-4-6" and first.answer.finish_reason == "STOP"
    second = await conversations.take_turn(ChatRequest(prompt="two", session_id=first.session_id))
    assert second.session_id == first.session_id and second.answer is not None
    sent = generations(instance)[-1]["body"]["request"]
    assert [c["role"] for c in sent["contents"]] == ["user", "model", "user"]
    assert sent["systemInstruction"]["parts"][0]["text"] == "be brief"  # kept for the session
    stored = await conversations.sessions.history(first.session_id)
    assert [t.role for t in stored.turns] == ["user", "model", "user", "model"]


async def test_function_calls_wait_for_their_results(conversations: Conversations, emulator: Running) -> None:
    instance, _ = emulator
    asked = await conversations.take_turn(ChatRequest(prompt="call:look_up", functions=[LOOKUP]))
    [call] = asked.function_calls
    assert call.name == "look/up" and call.valid
    with pytest.raises(AwaitingResults, match="function_results"):
        await conversations.take_turn(ChatRequest(prompt="never mind", session_id=asked.session_id))
    answered = await conversations.take_turn(
        ChatRequest(function_results=[FunctionResult(id=call.id, name=call.name, result={"meaning": "x"})])
    )
    assert answered.session_id == asked.session_id  # found from the call id alone
    assert generations(instance)[-1]["body"]["request"]["contents"][-1]["parts"][0]["functionResponse"]
    with pytest.raises(UnknownCall):  # answered once: nothing waits for it any more
        await conversations.take_turn(
            ChatRequest(function_results=[FunctionResult(id=call.id, name=call.name, result=1)])
        )


async def test_a_json_answer_comes_back_parsed(conversations: Conversations) -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    reply = await conversations.take_turn(ChatRequest(prompt="json please", response_schema=schema))
    assert isinstance(reply.data, dict) and isinstance(reply.data["answer"], str)


async def test_refusals_are_typed_and_store_nothing(conversations: Conversations) -> None:
    with pytest.raises(NothingToAsk):
        await conversations.take_turn(ChatRequest())
    with pytest.raises(UnknownSession):
        await conversations.take_turn(ChatRequest(prompt="hi", session_id="s_gone"))
    assert await conversations.sessions.summaries() == []


async def test_a_failed_upstream_call_leaves_the_session_as_it_was(
    conversations: Conversations, emulator: Running
) -> None:
    instance, _ = emulator
    first = await conversations.take_turn(ChatRequest(prompt="one", sampling=Sampling(temperature=0.5)))
    before = await conversations.sessions.history(first.session_id)
    instance.faults.add(parse_fault("rate_limit:reason=QUOTA_EXHAUSTED,times=0"))
    with pytest.raises(RateLimitError) as raised:
        await conversations.take_turn(ChatRequest(prompt="two", session_id=first.session_id))
    assert raised.value.model_asked == "claude-sonnet-4-6"  # the surface advises on the model asked
    after = await conversations.sessions.history(first.session_id)
    assert (after.next_seq, [t.parts for t in after.turns]) == (
        before.next_seq,
        [t.parts for t in before.turns],
    )


async def test_reset_without_a_prompt_clears_the_session(conversations: Conversations) -> None:
    first = await conversations.take_turn(ChatRequest(prompt="one"))
    cleared = await conversations.take_turn(ChatRequest(session_id=first.session_id, reset=True))
    assert cleared.answer is None and cleared.session_id == first.session_id
    assert (await conversations.sessions.history(first.session_id)).turns == []
