"""Google's OAuth endpoints, as far as the server uses them: consent (already agreed to) and tokens.

* ``GET /o/oauth2/v2/auth`` checks ``client_id``, a loopback ``redirect_uri``,
  ``response_type=code``, the cloud-platform scope, ``access_type=offline`` and a PKCE S256
  challenge, then redirects back at once with a one-time code and the ``state``.
  The consent is given as the account named by ``login_hint``, else the first one.
* ``POST /token`` (form-encoded): the ``authorization_code`` grant exchanges that code and its
  PKCE verifier for an access token and that account's refresh token; the ``refresh_token``
  grant accepts any account's refresh token. Access tokens stay valid ``token_lifetime`` seconds.
* ``GET /oauth2/v1/userinfo``: the email of the account a bearer token belongs to.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from .accounts import AccountBook, EmulatedAccount

SCOPE = "https://www.googleapis.com/auth/cloud-platform"


def _error(code: str, description: str) -> JSONResponse:
    return JSONResponse({"error": code, "error_description": description}, status_code=400)


class OAuthServer:
    def __init__(
        self,
        book: AccountBook,
        token_lifetime: int,
        log: Callable[[dict[str, Any]], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._book = book
        self._lifetime = token_lifetime
        self._log = log
        self._clock = clock
        self._issued: dict[str, tuple[float, str]] = {}
        self._codes: dict[str, tuple[str, str, str]] = {}

    def expired(self, token: str) -> bool | None:
        """Whether an access token this server issued has expired; ``None`` for tokens it never issued."""
        issued = self._issued.get(token)
        return None if issued is None else issued[0] <= self._clock()

    def account_of(self, token: str) -> EmulatedAccount | None:
        """The account an access token (issued here, or an account's static one) belongs to."""
        issued = self._issued.get(token)
        if issued is not None:
            return self._book.accounts.get(issued[1])
        return self._book.by_token(token)

    async def userinfo(self, request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        account = self.account_of(token) if scheme.lower() == "bearer" else None
        if account is None or self.expired(token):
            return JSONResponse(
                {
                    "error": {
                        "code": 401,
                        "message": "Request is missing required authentication credential.",
                        "status": "UNAUTHENTICATED",
                    }
                },
                status_code=401,
            )
        return JSONResponse(
            {"id": str(abs(hash(account.email)) % 10**20), "email": account.email, "verified_email": True}
        )

    def _issue(self, account: EmulatedAccount, **extra: str) -> JSONResponse:
        token = "ya29.emulator-" + secrets.token_urlsafe(24)
        self._issued[token] = (self._clock() + self._lifetime, account.email)
        return JSONResponse(
            {
                "access_token": token,
                "expires_in": self._lifetime,
                "token_type": "Bearer",
                "scope": SCOPE,
                **extra,
            }
        )

    async def authorize(self, request: Request) -> Response:
        params = request.query_params
        redirect = params.get("redirect_uri", "")
        checks = (
            ("client_id", bool(params.get("client_id"))),
            ("response_type", params.get("response_type") == "code"),
            ("redirect_uri", urlsplit(redirect).hostname in ("localhost", "127.0.0.1", "::1")),
            ("code_challenge_method", params.get("code_challenge_method") == "S256"),
            ("code_challenge", len(params.get("code_challenge", "")) >= 43),
            ("scope", SCOPE in params.get("scope", "").split()),
            ("access_type", params.get("access_type") == "offline"),
        )
        problems = [name for name, ok in checks if not ok]
        if problems:
            return _error("invalid_request", f"Bad {', '.join(problems)}.")
        hinted = self._book.accounts.get(params.get("login_hint", ""))
        account = hinted or next(iter(self._book.accounts.values()))
        code = "4/emulator-" + secrets.token_urlsafe(16)
        self._codes[code] = (params["code_challenge"], redirect, account.email)
        query = urlencode({"code": code, "state": params.get("state", ""), "scope": params["scope"]})
        return RedirectResponse(f"{redirect}?{query}", status_code=302)

    async def token(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        response = self._grant(form)
        self._log(
            {
                "method": "token",
                "query": {},
                "headers": {},
                "auth": "n/a",
                "fault": None,
                "trace": "",
                "body": {k: "<redacted>" if "token" in k or "secret" in k else v for k, v in form.items()},
                "status": response.status_code,
            }
        )
        return response

    def _grant(self, form: dict[str, str]) -> Response:
        grant = form.get("grant_type")
        if grant not in ("authorization_code", "refresh_token") or not (
            form.get("client_id") and form.get("client_secret")
        ):
            return _error("invalid_request", "Missing required parameter.")
        if grant == "authorization_code":
            expected = self._codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "").encode()
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).decode().rstrip("=")
            if expected is None or expected[:2] != (challenge, form.get("redirect_uri", "")):
                return _error("invalid_grant", "Bad authorization code or verifier.")
            consented = self._book.accounts[expected[2]]
            return self._issue(consented, refresh_token=consented.refresh_token)
        account = self._book.by_refresh_token(form.get("refresh_token", ""))
        if account is None:
            return _error("invalid_grant", "Token has been expired or revoked.")
        return self._issue(account)
