"""The conversation domain's errors: one base, each message written for the caller.

Every message says what was wrong and what to do, so the MCP surface passes it on as it is.
Upstream failures are not here: they stay :class:`~mcp_antigravity.antigravity.AntigravityError`
(typed, with the model asked) and the surface chooses the advice by their type.
"""

from __future__ import annotations


class ConversationError(Exception):
    """Base of every error the conversation service raises on purpose; nothing was stored."""


class UnknownSession(ConversationError):
    """No session by that id (it expired, was deleted, or never existed)."""

    def __init__(self, session_id: str) -> None:
        super().__init__(
            f"Unknown session {session_id!r}: it expired, was deleted, or never existed. Omit "
            "session_id to start a new conversation."
        )
        self.session_id = session_id


class UnknownCall(ConversationError):
    """Function results answer a call no stored turn is waiting for."""

    def __init__(self, call_id: str) -> None:
        super().__init__(
            f"Unknown function call id {call_id!r}: the turn that asked for it is gone (its session expired "
            "or was reset). Ask again with the prompt."
        )
        self.call_id = call_id


class NothingToAsk(ConversationError):
    """A turn with neither a prompt nor function results."""

    def __init__(self) -> None:
        super().__init__("Give a prompt (or function_results answering the previous function calls).")


class AwaitingResults(ConversationError):
    """The session's last answer asked for function calls and this turn does not answer them."""

    def __init__(self, session_id: str, call_ids: list[str]) -> None:
        super().__init__(
            f"Session {session_id} waits for the results of calls {', '.join(call_ids)}: send "
            "function_results, or reset=true to start over."
        )


class TurnError(ConversationError, ValueError):
    """The caller's input cannot make a valid turn; the message says how to fix it."""


class SessionConflict(ConversationError):
    """Another process changed the session in a way this exchange cannot follow; nothing was stored."""
