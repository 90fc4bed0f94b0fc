"""``mcp-antigravity login``: the OAuth authorization-code flow with PKCE (reference section 4).

1. A PKCE verifier and a ``state`` are made; the consent URL asks for offline access
   (``access_type=offline``, ``prompt=consent``) with the S256 challenge.
2. The browser comes back to a one-shot listener on loopback (``/oauth-callback``). On a
   machine without a browser, ``--paste`` reads the address the browser ended on instead.
3. The code is exchanged (with the verifier) for a refresh token; the user-info endpoint says
   whose account it is, and it is stored under that email in the accounts file (0600, see
   :mod:`.accounts.store`); the server uses it from then on.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import anyio
import httpx2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from ._serving import bind_socket, serve_app_on
from .config import Settings

SCOPES = (
    "https://www.googleapis.com/auth/cloud-platform",
    "https://www.googleapis.com/auth/userinfo.email",
    "https://www.googleapis.com/auth/userinfo.profile",
    "https://www.googleapis.com/auth/cclog",
    "https://www.googleapis.com/auth/experimentsandconfigs",
)
CALLBACK_PATH = "/oauth-callback"


class LoginError(Exception):
    """The login did not complete; the message says why and what to do."""


@dataclass(frozen=True)
class Plan:
    url: str
    verifier: str
    state: str
    redirect_uri: str


def plan(settings: Settings, redirect_uri: str) -> Plan:
    if not (settings.oauth_client_id and settings.oauth_client_secret):
        raise LoginError(
            "Set ANTIGRAVITY_OAUTH_CLIENT_ID and ANTIGRAVITY_OAUTH_CLIENT_SECRET (the installed-app "
            "OAuth client to log in with) first."
        )
    verifier = secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    state = secrets.token_urlsafe(24)
    query = urlencode(
        {
            "client_id": settings.oauth_client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": " ".join(SCOPES),
            "access_type": "offline",
            "prompt": "consent",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": state,
        }
    )
    return Plan(f"{settings.oauth_auth_url}?{query}", verifier, state, redirect_uri)


def code_from(answer: str, state: str) -> str:
    """The authorization code in the address the browser came back to (``state`` checked)."""
    params = parse_qs(urlsplit(answer.strip()).query)
    if "error" in params:
        raise LoginError(f"The consent was not given ({params['error'][0]}). Run login again.")
    if params.get("state", [""])[0] != state:
        raise LoginError("The answer does not belong to this login (its state differs). Run login again.")
    code = params.get("code", [""])[0]
    if not code:
        raise LoginError(
            "No authorization code in that address. Paste the whole address the browser ended on."
        )
    return code


async def _grant(
    http: httpx2.AsyncClient, settings: Settings, grant: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    """One POST to the OAuth token endpoint with the client's credentials: its status and JSON body."""
    if not (settings.oauth_client_id and settings.oauth_client_secret):
        raise LoginError("Set ANTIGRAVITY_OAUTH_CLIENT_ID and ANTIGRAVITY_OAUTH_CLIENT_SECRET first.")
    form = {
        **grant,
        "client_id": settings.oauth_client_id,
        "client_secret": settings.oauth_client_secret.get_secret_value(),
    }
    try:
        response = await http.post(settings.oauth_token_url, data=form)
    except httpx2.HTTPError as exc:
        raise LoginError(f"Cannot reach the OAuth token endpoint {settings.oauth_token_url}: {exc}.") from exc
    try:
        body = response.json()
    except ValueError:
        body = None
    return response.status_code, body if isinstance(body, dict) else {}


def _refusal(status: int, body: dict[str, Any]) -> str:
    return str(body.get("error_description") or body.get("error") or f"HTTP {status}")


async def exchange(http: httpx2.AsyncClient, settings: Settings, code: str, login: Plan) -> dict[str, Any]:
    status, body = await _grant(
        http,
        settings,
        {
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": login.verifier,
            "redirect_uri": login.redirect_uri,
        },
    )
    if status != 200 or "refresh_token" not in body:
        raise LoginError(f"The token endpoint refused the code ({_refusal(status, body)}). Run login again.")
    return body


class CallbackListener:
    """A one-shot loopback listener for the browser's return (``async with``; then :meth:`code`)."""

    def __init__(self, port: int) -> None:
        self._sock = bind_socket("127.0.0.1", port)
        self.redirect_uri = f"http://localhost:{self._sock.getsockname()[1]}{CALLBACK_PATH}"
        self._state = ""
        self._answer: dict[str, str] = {}
        self._arrived = anyio.Event()
        self._stack = AsyncExitStack()

    def expect(self, state: str) -> None:
        self._state = state

    async def __aenter__(self) -> CallbackListener:
        app = Starlette(routes=[Route(CALLBACK_PATH, self._callback)])
        await self._stack.enter_async_context(serve_app_on(app, self._sock))
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._stack.aclose()

    async def _callback(self, request: Request) -> HTMLResponse:
        try:
            self._answer["code"] = code_from(str(request.url), self._state)
        except LoginError as exc:
            self._answer["error"] = str(exc)
        self._arrived.set()
        message = (
            "Login complete. You can close this tab." if "code" in self._answer else self._answer["error"]
        )
        return HTMLResponse(f"<html><body><p>{html.escape(message)}</p></body></html>")

    async def code(self, wait: float = 300.0) -> str:
        with anyio.move_on_after(wait):
            await self._arrived.wait()
        if "error" in self._answer:
            raise LoginError(self._answer["error"])
        if "code" not in self._answer:
            raise LoginError(
                f"No answer from the browser within {wait:g} s. Run login again (or use --paste)."
            )
        return self._answer["code"]


async def email_of(http: httpx2.AsyncClient, settings: Settings, access_token: str) -> str:
    """The email of the account an access token belongs to (the OAuth user-info endpoint)."""
    try:
        response = await http.get(
            settings.oauth_userinfo_url, headers={"Authorization": f"Bearer {access_token}"}
        )
    except httpx2.HTTPError as exc:
        raise LoginError(
            f"Cannot reach the user-info endpoint {settings.oauth_userinfo_url}: {exc}."
        ) from exc
    try:
        body = response.json()
    except ValueError:
        body = None
    email = body.get("email") if isinstance(body, dict) else None
    if response.status_code != 200 or not isinstance(email, str) or "@" not in email:
        raise LoginError(
            f"The user-info endpoint did not say whose account this is (HTTP {response.status_code}). Check "
            "that the login asked for the userinfo.email scope, and ANTIGRAVITY_OAUTH_USERINFO_URL."
        )
    return email


async def refresh_access_token(http: httpx2.AsyncClient, settings: Settings, refresh_token: str) -> str:
    """An access token for ``refresh_token`` (to learn the account's email)."""
    status, body = await _grant(
        http, settings, {"grant_type": "refresh_token", "refresh_token": refresh_token}
    )
    if status != 200 or "access_token" not in body:
        raise LoginError(f"The token endpoint refused the refresh token ({_refusal(status, body)}).")
    return str(body["access_token"])
