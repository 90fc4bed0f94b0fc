"""The Google accounts the server may call the upstream with: their records, the file that keeps
them, and the pure rule that picks one for a call. No upstream I/O here: the client
(:mod:`mcp_antigravity.antigravity.accounts`) leases accounts and reports what the upstream said."""

from .records import Account, AccountState, Cooldown, ModelQuota
from .selection import Candidate, Strategy, available_at, choose, usable
from .store import AccountsFile, AccountsFileError

__all__ = [
    "Account",
    "AccountState",
    "AccountsFile",
    "AccountsFileError",
    "Candidate",
    "Cooldown",
    "ModelQuota",
    "Strategy",
    "available_at",
    "choose",
    "usable",
]
