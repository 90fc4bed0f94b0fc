"""Resumable streams (``serve --resumable``): the events of each SSE stream, kept a while so that a
client that lost its connection mid-call reconnects with ``Last-Event-ID`` and gets what it missed.

Bounded three ways, the oldest events going first: at most ``max_events``, at most
``max_bytes`` of messages (an image result can be a megabyte), none older than ``max_age``
seconds. In memory: a client reconnects to the process that served it (behind a load balancer,
keep a client's requests on one replica, or run ``--stateless`` without resumption).
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from mcp.server.streamable_http import EventCallback, EventId, EventMessage, EventStore, StreamId
from mcp.types import JSONRPCMessage


@dataclass
class _Event:
    id: EventId
    stream: StreamId
    message: JSONRPCMessage | None
    size: int
    at: float


class BoundedEventStore(EventStore):
    def __init__(
        self,
        *,
        max_events: int = 10_000,
        max_bytes: int = 64 * 1024 * 1024,
        max_age: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max_events, self._max_bytes, self._max_age = max_events, max_bytes, max_age
        self._clock = clock
        self._ids = itertools.count(1)
        self._order: deque[_Event] = deque()
        self._by_id: dict[EventId, _Event] = {}
        self._bytes = 0

    async def store_event(self, stream_id: StreamId, message: JSONRPCMessage | None) -> EventId:
        size = len(message.model_dump_json(by_alias=True, exclude_none=True)) if message is not None else 0
        event = _Event(f"{next(self._ids)}", stream_id, message, size, self._clock())
        self._order.append(event)
        self._by_id[event.id] = event
        self._bytes += size
        self._evict()
        return event.id

    async def replay_events_after(
        self, last_event_id: EventId, send_callback: EventCallback
    ) -> StreamId | None:
        self._evict()
        last = self._by_id.get(last_event_id)
        if last is None:
            return None
        after = int(last.id)
        for event in list(self._order):
            if event.stream == last.stream and int(event.id) > after and event.message is not None:
                await send_callback(EventMessage(event.message, event.id))
        return last.stream

    @property
    def size(self) -> int:
        """Events kept (not ``__len__``: the SDK tests the store for truth, and an empty one must pass)."""
        return len(self._order)

    def _evict(self) -> None:
        oldest = self._clock() - self._max_age
        while self._order and (
            len(self._order) > self._max_events or self._bytes > self._max_bytes or self._order[0].at < oldest
        ):
            gone = self._order.popleft()
            del self._by_id[gone.id]
            self._bytes -= gone.size
