"""Conversations waiting for the caller's function results, found again by call id.

When ``chat`` returns function calls, the turn that asked for them is kept here until the
caller answers with ``function_results``. Bounded in count and age; an entry is removed only
after the follow-up call succeeded, so a failed call can be retried with the same results.
In memory only: a restart forgets waiting calls (persistent sessions replace this).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from .antigravity.wire import Content
from .functions import FunctionSpec


@dataclass(frozen=True)
class WaitingCall:
    wire_name: str
    """The name the model used."""
    model_call_id: str | None
    """The id the model gave the call, sent back with the result (``None`` when it gave none)."""


@dataclass
class Pending:
    model: str
    contents: list[Content]
    system: str | None
    functions: list[FunctionSpec]
    calls: dict[str, WaitingCall]
    """Call id as given to the caller -> what the upstream needs to see again."""
    created: float = field(default=0.0)


class PendingCalls:
    def __init__(
        self, *, max_entries: int = 256, ttl: float = 3600.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._entries: OrderedDict[str, Pending] = OrderedDict()
        self._max = max_entries
        self._ttl = ttl
        self._clock = clock

    def add(self, pending: Pending) -> None:
        pending.created = self._clock()
        for call_id in pending.calls:
            self._entries[call_id] = pending
            self._entries.move_to_end(call_id)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def find(self, call_ids: list[str]) -> Pending:
        """The one conversation these call ids belong to; ``KeyError`` says which id is unknown."""
        now = self._clock()
        found: Pending | None = None
        for call_id in call_ids:
            pending = self._entries.get(call_id)
            if pending is None or now - pending.created > self._ttl:
                raise KeyError(call_id)
            if found is not None and pending is not found:
                raise ValueError("function_results mix calls from different turns; answer one turn at a time")
            found = pending
        if found is None:
            raise KeyError("")
        return found

    def discard(self, pending: Pending) -> None:
        for call_id in pending.calls:
            if self._entries.get(call_id) is pending:
                del self._entries[call_id]
