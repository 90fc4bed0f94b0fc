"""mcp-antigravity: an MCP server for Google's Antigravity gateway."""

from __future__ import annotations

__version__ = "0.1.0"

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
