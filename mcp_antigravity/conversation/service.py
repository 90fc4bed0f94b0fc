"""The conversation service: take one turn of a conversation the server keeps.

:meth:`Conversations.take_turn` is the whole chat domain behind one call: it finds or starts
the session and holds its lock, resolves the model against the live catalog, builds the turn
(function results matched to the calls that wait for them, the caller's functions declared,
thinking fitted to the model, the answer schema), re-attaches the stored thought signatures,
streams the request, reads the answer (function calls in the caller's own names, JSON checked
against the caller's schema) and stores the exchange, only once all of that succeeded.

It knows nothing of MCP: any surface (the MCP tool today, another HTTP API later) maps its
arguments to a :class:`ChatRequest` and formats the :class:`ChatReply`. Its own refusals are
:class:`~.errors.ConversationError` s with a message for the caller; upstream failures stay
:class:`~mcp_antigravity.antigravity.AntigravityError` s, for the surface to advise on by type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import anyio.to_thread

from ..antigravity import AntigravityClient, BadRequestError
from ..antigravity.client import ChunkCallback, Route
from ..antigravity.models import ModelInfo, resolve_live
from ..antigravity.responses import Answer, read
from ..antigravity.wire import (
    Content,
    GenerateContentRequest,
    GenerateContentResponse,
    GenerationConfig,
    Tool,
    ToolConfig,
)
from .errors import AwaitingResults, NothingToAsk, UnknownCall
from .functions import FunctionCallResult, FunctionSpec
from .names import FunctionNames
from .schema_check import repair_schema
from .sessions import Sessions
from .store import Session
from .thinking import ThinkingLevel, thinking_config
from .turns import (
    FunctionMode,
    FunctionResult,
    Sampling,
    WaitingCall,
    build_request,
    close_tool_loop,
    function_calls,
    generation_config,
    structured_data,
    tools_for,
    user_turn,
)


@dataclass(frozen=True)
class ChatRequest:
    """One turn, as a caller asks for it. Omitted settings keep the session's."""

    prompt: str | None = None
    session_id: str | None = None
    """Continue this conversation; ``None`` starts one (or finds it from ``function_results``)."""
    reset: bool = False
    """Clear the session's history first."""
    model: str | None = None
    system: str | None = None
    sampling: Sampling = field(default_factory=Sampling)
    thinking: ThinkingLevel | int | None = None
    include_thoughts: bool = False
    functions: Sequence[FunctionSpec] | None = None
    function_mode: FunctionMode = "auto"
    allowed_functions: Sequence[str] | None = None
    function_results: Sequence[FunctionResult] = ()
    response_schema: Mapping[str, Any] | None = None
    caller: str | None = None
    """Who asks: sessions belong to their caller, and no caller sees another's."""


@dataclass(frozen=True)
class ChatReply:
    """What a turn produced. ``answer`` is ``None`` only for a reset without a new turn."""

    session_id: str
    model: str
    answer: Answer | None = None
    trace_id: str | None = None
    function_calls: list[FunctionCallResult] = field(default_factory=list)
    data: Any = None
    """The answer parsed and validated against the request's ``response_schema``."""
    thoughts: list[str] | None = None
    """Thought summaries, when the request asked for them."""
    history_repaired: bool = False
    """The upstream refused the stored signatures and the turn was retried without them."""
    requested_model: str | None = None
    """The retired model id asked for, when the live catalog forwarded it to ``model``."""


@dataclass(frozen=True)
class _Prepared:
    turn: Content
    tools: list[Tool] | None
    tool_config: ToolConfig | None
    names: FunctionNames
    config: GenerationConfig | None


class Conversations:
    def __init__(self, sessions: Sessions, client: AntigravityClient, *, default_model: str) -> None:
        self.sessions = sessions
        self._client = client
        self._default_model = default_model

    async def take_turn(self, request: ChatRequest, *, on_chunk: ChunkCallback | None = None) -> ChatReply:
        """Take one turn (see the module documentation); ``on_chunk`` sees the answer stream in."""
        session_id = request.session_id
        if request.function_results and session_id is None:
            session_id = await self.sessions.session_for_call(request.function_results[0].id, request.caller)
            if session_id is None:
                raise UnknownCall(request.function_results[0].id)
        if request.prompt is None and not request.function_results and not request.reset:
            raise NothingToAsk()
        if request.response_schema is not None:  # clear mistakes repaired; the rest checked later
            request = replace(request, response_schema=repair_schema(dict(request.response_schema)))
        async with self.sessions.hold(session_id, request.caller) as session:
            if request.reset:
                await self.sessions.reset(session)
                if request.prompt is None and not request.function_results:
                    return ChatReply(session.id, session.model or self._default_model)
            return await self._turn(session, request, on_chunk)

    async def _turn(
        self, session: Session, request: ChatRequest, on_chunk: ChunkCallback | None
    ) -> ChatReply:
        resolved = await resolve_live(self._client, request.model or session.model or self._default_model)
        info, model_id = resolved.info, resolved.id
        specs = list(request.functions) if request.functions is not None else session.functions
        system = request.system if request.system is not None else session.system
        if session.waiting and not request.function_results:
            raise AwaitingResults(session.id, list(session.waiting))
        # The caller's schemas are checked and cleaned off the event loop (bounded, but CPU work);
        # a turn without any is built in place, sparing the thread hop.
        if specs or request.response_schema is not None:
            prepared = await anyio.to_thread.run_sync(_prepare, request, info, specs, session.waiting)
        else:
            prepared = _prepare(request, info, specs, session.waiting)

        def request_for(repair: bool) -> GenerateContentRequest:
            contents = [*self.sessions.contents_for(session, info, repair=repair), prepared.turn]
            if _claude_thinks(info, prepared.config):
                contents = close_tool_loop(contents)
            return build_request(
                contents,
                system=system,
                config=prepared.config,
                tools=prepared.tools,
                tool_config=prepared.tool_config,
                session_id=session.upstream_id,
            )

        # the conversation stays on its account; moved to another, it goes without this one's signatures
        route = Route(session.account, request_for=lambda account: request_for(True))
        for repair in (False, True):  # a refused signature is retried once with the history repaired
            try:
                response, trace_id = await self._client.stream(
                    model_id, request_for(repair), on_chunk=on_chunk, route=route
                )
                break
            except BadRequestError as exc:
                if repair or not exc.signature_refused:
                    raise
        calls, waiting = (
            await anyio.to_thread.run_sync(function_calls, response, prepared.names, specs)
            if _has_calls(response)
            else ([], {})
        )
        answer = read(response, model_id, acts=bool(calls))
        data = None
        if request.response_schema is not None and not calls:
            data = await anyio.to_thread.run_sync(structured_data, answer.text, request.response_schema)

        session.system = system
        session.functions = specs
        session.waiting = waiting
        await self.sessions.commit(session, prepared.turn, answer.content, model_id, route.account)
        return ChatReply(
            session_id=session.id,
            model=model_id,
            answer=answer,
            trace_id=trace_id,
            function_calls=calls,
            data=data,
            thoughts=answer.thoughts if request.include_thoughts else None,
            history_repaired=repair,
            requested_model=resolved.forwarded_from,
        )


def _prepare(
    request: ChatRequest, info: ModelInfo, specs: list[FunctionSpec], waiting: dict[str, WaitingCall]
) -> _Prepared:
    turn = user_turn(request.prompt, list(request.function_results), waiting)
    tools, tool_config, names = tools_for(
        specs,
        request.function_mode,
        list(request.allowed_functions) if request.allowed_functions is not None else None,
        claude=info.family == "claude",
    )
    thinking, max_output = thinking_config(
        info, request.thinking, request.include_thoughts, request.sampling.max_output_tokens
    )
    config = generation_config(
        replace(request.sampling, max_output_tokens=max_output), request.response_schema, thinking
    )
    return _Prepared(turn, tools, tool_config, names, config)


def _has_calls(response: GenerateContentResponse) -> bool:
    content = response.candidates[0].content if response.candidates else None
    return content is not None and any(part.function_call is not None for part in content.parts)


def _claude_thinks(info: ModelInfo, config: GenerationConfig | None) -> bool:
    """Whether this Claude request thinks (then an open tool loop must start with its thinking)."""
    if info.family != "claude" or info.thinking == "none":
        return False
    thinking = config.thinking_config if config is not None else None
    return not info.can_disable_thinking or bool(thinking and thinking.thinking_budget)
