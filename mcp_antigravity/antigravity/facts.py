"""What advice about a failed call depends on beyond the error itself."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import DEFAULT_CLIENT_VERSION
from .auth import CredentialKind
from .available import AvailableModels


@dataclass(frozen=True)
class ClientFacts:
    credentials: CredentialKind = "access_token"
    """Which setting supplied the token (a refused one is met with the fix for that setting)."""
    client_version: str = DEFAULT_CLIENT_VERSION
    """The version the User-Agent carries."""
    available: AvailableModels | None = None
    """The upstream's model catalog, when it was read."""
