"""Upstream notices that arrive where an answer (or an ordinary error) should be (pure).

The upstream tells a client that a model is retired, or that the client is too old, in words:
as the text of a 200 answer, or as the message of a 400 or a 503. Taken as an answer, the
notice would be shown to the caller as the model's reply and stored in the conversation.

* "Claude Sonnet 4.5 is no longer available. Please switch to Claude Sonnet 4.6 in the latest
  version of Antigravity." → :class:`Notice` ``retired`` (with the model and its successor
  as the upstream names them);
* "This version of Antigravity is no longer supported...", "Your current version of
  Antigravity is out of date...", "Gemini 3.1 Pro is not available on this version..." →
  ``version``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

MAX_NOTICE_CHARS = 600
"""A real answer can quote a notice; a notice is short and nothing else."""

_RETIRED = re.compile(
    r"^\s*(?P<model>[^\n]{2,80}?) is no longer available\.\s*Please switch to (?P<successor>[^\n]{2,80}?)"
    r"(?: in the latest version of Antigravity)?\s*[.!]?\s*$",
    re.IGNORECASE,
)
_VERSION = re.compile(
    r"this version of antigravity is no longer supported|your current version of antigravity is out of date"
    r"|is not available on this version",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Notice:
    kind: Literal["retired", "version"]
    text: str
    model: str | None = None
    """The retired model, as the upstream names it (a display name)."""
    successor: str | None = None
    """What to switch to, as the upstream names it."""


def read_notice(text: str) -> Notice | None:
    """The notice ``text`` is, or ``None`` for anything else (an answer, an ordinary error)."""
    stripped = text.strip()
    if not stripped or len(stripped) > MAX_NOTICE_CHARS:
        return None
    retired = _RETIRED.match(stripped)
    if retired:
        return Notice("retired", stripped, retired.group("model").strip(), retired.group("successor").strip())
    if _VERSION.search(stripped):
        return Notice("version", stripped)
    return None
