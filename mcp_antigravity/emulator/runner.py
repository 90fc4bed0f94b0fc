"""The emulator on a loopback port, for tests, the demo and ``serve --emulator``."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from .._serving import bind_socket, serve_app, serve_app_on
from .app import Emulator, EmulatorConfig, InjectedCut

__all__ = ["bind_socket", "running_emulator", "serve_app", "serve_app_on"]


class _HideInjectedCuts(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], InjectedCut))


logging.getLogger("uvicorn.error").addFilter(_HideInjectedCuts())


@contextlib.asynccontextmanager
async def running_emulator(
    config: EmulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[tuple[Emulator, str]]:
    """An emulator on a loopback port: yields the instance (for faults and the request log) and its URL."""
    emulator = Emulator(config)
    async with serve_app(emulator.app, host, port) as url:
        yield emulator, url
