"""Function names the upstream accepts, and the way back to the caller's own names.

The upstream's rule: a letter or ``_`` first, then letters, digits, ``_ . : -``, at most 64
characters. MCP names are freer (``github/create_issue``, ``2fa-check``, ``wetter für ort``).

:func:`sanitize_function_name`, rule by rule:

* accents are folded to ASCII (``für`` → ``fur``); ``/``, spaces, characters with no ASCII
  form and every other character outside the allowed set become ``_``;
* a name that does not start with a letter or ``_`` gets a leading ``_``;
* a name over 64 characters keeps its first 55 and ends with ``_`` plus 8 hex characters of
  a hash of the original, so long names that share a prefix stay apart;
* a valid name is returned unchanged.

:class:`FunctionNames` holds one request's mapping: distinct originals never share a wire name
(a collision gets a hash suffix), and :meth:`FunctionNames.original` maps the model's calls back.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

MAX_LENGTH = 64
VALID_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.:\-]{0,63}")
_INVALID_CHARACTER = re.compile(r"[^A-Za-z0-9_.:\-]")


def _digest(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]


def _fold(character: str) -> str:
    """``ü`` → ``u``; a character with no ASCII form → ``_``."""
    return unicodedata.normalize("NFKD", character).encode("ascii", "ignore").decode("ascii") or "_"


def sanitize_function_name(name: str) -> str:
    """A name the upstream accepts, equal to ``name`` when it already is one."""
    if VALID_NAME.fullmatch(name):
        return name
    folded = "".join(_fold(character) for character in name)
    cleaned = _INVALID_CHARACTER.sub("_", folded) or "_"
    if not (cleaned[0].isascii() and (cleaned[0].isalpha() or cleaned[0] == "_")):
        cleaned = "_" + cleaned
    if len(cleaned) > MAX_LENGTH:
        cleaned = f"{cleaned[:55]}_{_digest(name)}"
    return cleaned


class FunctionNames:
    """Wire names for one request's functions, and the way back."""

    def __init__(self) -> None:
        self._wire: dict[str, str] = {}
        self._original: dict[str, str] = {}

    def add(self, original: str) -> str:
        """The wire name for ``original`` (the same one if it was added before)."""
        if original in self._wire:
            return self._wire[original]
        wire = sanitize_function_name(original)
        if wire in self._original:
            wire = f"{wire[: MAX_LENGTH - 9]}_{_digest(original)}"
            salt = 0
            while wire in self._original:  # a hash collision on top of a name collision
                salt += 1
                wire = f"{wire[: MAX_LENGTH - 9]}_{_digest(f'{original}#{salt}')}"
        self._wire[original] = wire
        self._original[wire] = original
        return wire

    def wire(self, original: str) -> str:
        return self._wire[original]

    def original(self, wire: str) -> str | None:
        """The caller's name for a name the model used; ``None`` for a name never declared."""
        return self._original.get(wire)
