"""mcp-antigravity: an MCP server for Google's Antigravity gateway.

The public names are imported on first use, so ``mcp-antigravity --version`` and tools that
only need the version or the settings do not load the whole server stack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .antigravity import AntigravityClient, AntigravityError
    from .config import ConfigError, Settings, load_settings
    from .server import build_server

__all__ = [
    "AntigravityClient",
    "AntigravityError",
    "ConfigError",
    "Settings",
    "__version__",
    "build_server",
    "load_settings",
]

_HOMES = {
    "AntigravityClient": ".antigravity",
    "AntigravityError": ".antigravity",
    "ConfigError": ".config",
    "Settings": ".config",
    "load_settings": ".config",
    "build_server": ".server",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value
