"""Everything stateful, behind one contract with two implementations.

=====================  ==============================  ======================================
what                   embedded (default)              ``ANTIGRAVITY_STORE=redis://...``
=====================  ==============================  ======================================
sessions, turns,       ``sessions.sqlite3`` in the     :mod:`.redis_sessions`
waiting calls,         data directory
signatures, owners,    (:mod:`..conversation.
session locks          sqlite_store`)
account state,         ``accounts.json``               :mod:`.redis_accounts` (the tokens
cooldowns, quota       (:mod:`..accounts.store`)       stay in each replica's accounts.json)
saved images           the images folder               :mod:`.redis_images`
                       (:mod:`..media.saved`)
=====================  ==============================  ======================================

:func:`open_storage` opens what the settings name; replicas coordinate only through it.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass

from ..accounts.shared import AccountStates
from ..config import Settings
from ..conversation.sqlite_store import SqliteStore
from ..conversation.store import Limits, SessionStore
from ..media.saved import ImageFolder, ImageStore
from .redis import StoreError

__all__ = ["Storage", "StoreError", "open_storage"]


@dataclass(frozen=True)
class Storage:
    sessions: SessionStore
    accounts: AccountStates | None
    """``None``: account state stays in the accounts file."""
    images: ImageStore


async def open_storage(settings: Settings, limits: Limits, stack: AsyncExitStack) -> Storage:
    """The storage the settings name, closed with ``stack``; :class:`StoreError` when Redis is not reachable."""
    if settings.store is None:
        store = await SqliteStore.open(settings.sessions_path, limits)
        stack.push_async_callback(store.close)
        return Storage(store, None, ImageFolder(settings.images_path))
    from .redis import connect
    from .redis_accounts import RedisAccountStates
    from .redis_images import RedisImages
    from .redis_sessions import RedisSessionStore

    connection = await connect(settings)
    stack.push_async_callback(connection.close)
    return Storage(
        RedisSessionStore(connection, limits),
        RedisAccountStates(connection),
        RedisImages(connection, limits.max_age),
    )
