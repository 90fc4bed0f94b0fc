"""The event store of resumable streams (``server/events.py``): replay and its three bounds."""

from __future__ import annotations

import pytest
from mcp.server.streamable_http import EventMessage
from mcp.types import JSONRPCNotification

from mcp_antigravity.server.events import BoundedEventStore

pytestmark = pytest.mark.anyio


def note(text: str) -> JSONRPCNotification:
    return JSONRPCNotification(jsonrpc="2.0", method="notifications/message", params={"data": text})


async def replayed(store: BoundedEventStore, after: str) -> tuple[str | None, list[str]]:
    sent: list[EventMessage] = []

    async def send(event: EventMessage) -> None:
        sent.append(event)

    stream = await store.replay_events_after(after, send)
    return stream, [e.message.params["data"] for e in sent]  # type: ignore[union-attr,index]


async def test_replay_gives_the_rest_of_that_stream_only() -> None:
    store = BoundedEventStore()
    assert store  # an empty store is still a store (the SDK tests it for truth)
    first = await store.store_event("a", None)  # the priming event
    await store.store_event("a", note("a1"))
    await store.store_event("b", note("b1"))
    await store.store_event("a", note("a2"))
    assert await replayed(store, first) == ("a", ["a1", "a2"])
    assert await replayed(store, "no-such-event") == (None, [])


@pytest.mark.parametrize(
    ("bounds", "gone"),
    [({"max_events": 2}, 2), ({"max_bytes": 250}, 2)],
)
async def test_the_oldest_events_go_first(bounds: dict[str, int], gone: int) -> None:
    store = BoundedEventStore(**bounds)  # type: ignore[arg-type]
    ids = [await store.store_event("s", note(f"m{i}" * 10)) for i in range(4)]
    assert store.size == 4 - gone
    assert await replayed(store, ids[0]) == (None, [])  # forgotten
    assert (await replayed(store, ids[gone]))[1] == [f"m{i}" * 10 for i in range(gone + 1, 4)]


async def test_old_events_expire() -> None:
    now = [0.0]
    store = BoundedEventStore(max_age=60, clock=lambda: now[0])
    old = await store.store_event("s", note("old"))
    now[0] = 61
    assert await replayed(store, old) == (None, [])
    assert store.size == 0
