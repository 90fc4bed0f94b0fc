"""Bearer tokens in front of the HTTP transports, each naming a caller.

* ``ANTIGRAVITY_HTTP_TOKEN``: one token, one caller (``None``: the same as a server with no
  token, so sessions made before stay visible).
* ``ANTIGRAVITY_HTTP_TOKENS_FILE``: a TOML file of ``name = "token"`` lines; each caller sees
  and touches only its own sessions, waiting function calls and generated images.

A request without a known token gets 401 before anything else runs. The caller's name travels
in the ASGI scope's ``state`` (never in a header a client could send), and the tools read it
from there (:func:`.callers.caller_of`).
"""

from __future__ import annotations

import hmac
import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path

from starlette.types import ASGIApp, Receive, Scope, Send

from .callers import CALLER

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


class CallersFileError(ValueError):
    """The tokens file cannot be used; the message names the file and what is wrong."""


def read_callers(path: Path) -> dict[str, str]:
    """Token → caller name, from a TOML file of ``name = "token"`` lines."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CallersFileError(f"Cannot read the HTTP tokens file {path}: {exc.strerror}.") from None
    except tomllib.TOMLDecodeError as exc:
        raise CallersFileError(f"The HTTP tokens file {path} is not valid TOML: {exc}.") from None
    callers: dict[str, str] = {}
    for name, token in data.items():
        if not _NAME.fullmatch(name):
            raise CallersFileError(
                f"{path}: caller name {name!r} must be letters, digits and . _ @ - (at most 64)."
            )
        if not isinstance(token, str) or len(token.strip()) < 16:
            raise CallersFileError(f"{path}: the token of {name} must be a string of at least 16 characters.")
        if token in callers:
            raise CallersFileError(f"{path}: {callers[token]} and {name} have the same token.")
        callers[token] = name
    if not callers:
        raise CallersFileError(f'{path} names no caller: add lines such as  alice = "<a long random token>".')
    return callers


class RequireBearerToken:
    """Answers 401 to any HTTP request without ``Authorization: Bearer <a known token>`` (each
    compared in constant time); a known one puts its caller in the scope."""

    def __init__(self, app: ASGIApp, callers: Mapping[str, str | None]) -> None:
        self._app = app
        self._expected = [(f"Bearer {token}".encode(), caller) for token, caller in callers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = next((value for name, value in scope["headers"] if name == b"authorization"), b"")
            matched = [caller for expected, caller in self._expected if hmac.compare_digest(given, expected)]
            if not matched:
                await _unauthorized(send)
                return
            scope.setdefault("state", {})[CALLER] = matched[0]
        await self._app(scope, receive, send)


async def _unauthorized(send: Send) -> None:
    body = json.dumps(
        {
            "error": "unauthorized",
            "error_description": "Send Authorization: Bearer <your token> (ANTIGRAVITY_HTTP_TOKEN, or yours "
            "from ANTIGRAVITY_HTTP_TOKENS_FILE).",
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"www-authenticate", b'Bearer realm="mcp-antigravity"'),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
