"""The emulator's HTTP surface: the upstream's paths, plus a small control API under ``/_emulator``."""

from __future__ import annotations

import itertools
import json
import re
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ..config import DEFAULT_PROJECT
from .accounts import AccountBook, EmulatedAccount, timestamp
from .behaviour import Reply, notice_reply, reply_to, stream_bodies, trace_id, unary_body
from .catalog import HUB_FLOOR, INTERNAL_IDS, MODELS, RETIRED, EmulatedModel, retirement_notice
from .faults import Fault, FaultPlan, FaultSpecError, fault_from_mapping, parse_fault
from .media import check_media
from .oauth import OAuthServer
from .proto import STRING, Message
from .rpc import (
    INVALID_CREDENTIALS,
    MISSING_CREDENTIALS,
    NOT_FOUND,
    RpcError,
    bad_request,
    unauthenticated,
)
from .search import BY_ID
from .signatures import Signer, check_history
from .validation import CheckedRequest, check_envelope

TRACE_HEADER = "x-cloudaicompanion-trace-id"
FAULT_HEADER = "x-emulator-fault"
_TIERS: list[dict[str, Any]] = [{"id": "free-tier", "isDefault": True}, {"id": "standard-tier"}]
_METADATA = Message(
    "ClientMetadata",
    {
        "ideType": STRING,
        "ideVersion": STRING,
        "ideName": STRING,
        "platform": STRING,
        "pluginType": STRING,
        "duetProject": STRING,
    },
)
_LOAD = Message("LoadCodeAssistRequest", {"metadata": _METADATA, "cloudaicompanionProject": STRING})
_ONBOARD = Message(
    "OnboardUserRequest", {"tierId": STRING, "metadata": _METADATA, "cloudaicompanionProject": STRING}
)
_MODELS_REQUEST = Message("FetchAvailableModelsRequest", {"project": STRING})


@dataclass
class EmulatorConfig:
    """How one emulator instance behaves (the command line sets token, project, versions, onboarding,
    signing key and faults)."""

    token: str = "emulator-token"  # noqa: S105 - the emulator's own, not a secret
    project: str = "emulator-project"
    min_client_version: str = "2.0.0"
    """Clients below this version are refused ("no longer supported")."""
    hub_floor: str = HUB_FLOOR
    """Clients below this version get 404 for the newest models."""
    latest_version: str = "2.9.4"
    """What the updater manifest (GET /manifest/latest-arm64-mac.yml) announces."""
    quota: dict[str, float] = field(default_factory=dict)
    """Remaining quota fraction per model (default 1.0); 0 is omitted in fetchAvailableModels, as proto3 does."""
    onboarding: bool = False
    """The account starts without a project: loadCodeAssist finds none until onboardUser completes."""
    onboard_polls: int = 1
    """onboardUser answers "not done yet" this many times before it completes."""
    chunk_words: int = 4
    signing_key: str = "emulator-signing-key"
    refresh_token: str = "emulator-refresh-token"  # noqa: S105 - the emulator's own, not a secret
    """The refresh token its OAuth token endpoint (POST /token) accepts."""
    token_lifetime: int = 3600
    """Seconds an access token from /token stays valid."""
    """Key of the HMAC in thought signatures; keep it to keep old signatures valid."""
    faults: list[Fault] = field(default_factory=list)
    email: str = "user@example.com"
    """The email of the account ``token`` / ``refresh_token`` / ``project`` belong to."""
    accounts: list[EmulatedAccount] = field(default_factory=list)
    """More accounts, each with its own tokens, project, quota and state (see :mod:`.accounts`)."""
    log_size: int = 1000
    log_bytes: int = 64 * 1024 * 1024
    """Request bodies the log keeps, in bytes: beyond it the oldest bodies are dropped (the newest
    one always stays), so a long run with large media does not keep every request in memory."""

    @property
    def all_accounts(self) -> list[EmulatedAccount]:
        """The account of ``token`` first (as listed in ``accounts`` when it is), then the others."""
        listed = next((a for a in self.accounts if a.email == self.email), None)
        first = listed or EmulatedAccount(self.email, self.token, self.refresh_token, self.project)
        return [first, *(a for a in self.accounts if a.email != self.email)]


class InjectedCut(Exception):
    """Raised inside a response to drop the connection mid-body (the 'cut' fault)."""


class _CutResponse(Response):
    """Declares the whole body, sends half of it, then drops the connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send(
            {"type": "http.response.body", "body": self.body[: len(self.body) // 2], "more_body": True}
        )
        raise InjectedCut("connection cut by fault injection")


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


_CLIENTS = (
    ("hub", re.compile(r"^antigravity/hub/(\d+(?:\.\d+){1,3})(?:\s|$)")),
    ("cli", re.compile(r"^antigravity/cli/(\d+(?:\.\d+){1,3})(?:\s|$)")),
    ("desktop", re.compile(r"^Antigravity/(\d+(?:\.\d+){1,3}) \(")),
    ("legacy", re.compile(r"^antigravity/(\d+(?:\.\d+){1,3})(?:\s|$)")),
)


def client_of(user_agent: str) -> tuple[str, str] | None:
    """The client family and version a User-Agent names: ``antigravity/hub/2.9.1 darwin/arm64`` (and the
    native app's ``(aidev_client; ...)`` tail), ``antigravity/cli/1.0.3``, the desktop
    ``Antigravity/4.5.8 (Macintosh; ...) Electron/...`` form, or the old ``antigravity/1.11.5 linux/amd64``."""
    for family, pattern in _CLIENTS:
        match = pattern.match(user_agent)
        if match:
            return family, match.group(1)
    return None


class Emulator:
    """One emulated upstream: its configuration, state and Starlette app."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.faults = FaultPlan()
        for fault in self.config.faults:
            self.faults.add(fault)
        self.requests: deque[dict[str, Any]] = deque(maxlen=self.config.log_size)
        self._bodies: deque[tuple[dict[str, Any], int]] = deque()
        self._body_bytes = 0
        self.client_left = anyio.Event()
        """Set when a client goes away while a ``slow`` fault holds its answer back (its request's
        log record then says ``"disconnected": True``)."""
        self._onboarded = not self.config.onboarding
        self._onboard_calls = 0
        self._ids = itertools.count(1)
        self.signer = Signer(self.config.signing_key)
        # signatures are bound to the account that received them (whether they travel between accounts
        # is not known, so the emulator takes the strict side); the first account signs with ``signer``
        self._other_signers = {
            a.email: Signer(f"{self.config.signing_key}/{a.email}")
            for a in self.config.all_accounts
            if a.email != self.config.email
        }
        self.book = AccountBook(self.config.all_accounts)
        self.oauth = OAuthServer(self.book, self.config.token_lifetime, self.requests.append)
        self._methods: dict[
            str, Callable[[Request, dict[str, Any], EmulatedAccount], Awaitable[Response]]
        ] = {
            "generateContent": self._generate,
            "streamGenerateContent": self._stream,
            "loadCodeAssist": self._load_code_assist,
            "onboardUser": self._onboard_user,
            "fetchAvailableModels": self._fetch_available_models,
        }
        self.quota = dict(self.config.quota)
        self.app = Starlette(
            routes=[
                Route("/v1internal:{method}", self._dispatch, methods=["POST"]),
                Route("/grounding-api-redirect/{doc}", self._grounding_redirect, methods=["GET", "HEAD"]),
                Route("/manifest/{name}", self._manifest, methods=["GET"]),
                Route("/token", self.oauth.token, methods=["POST"]),
                Route("/o/oauth2/v2/auth", self.oauth.authorize, methods=["GET"]),
                Route("/oauth2/v1/userinfo", self.oauth.userinfo, methods=["GET"]),
                Route("/_emulator/health", self._health, methods=["GET"]),
                Route("/_emulator/requests", self._requests, methods=["GET", "DELETE"]),
                Route("/_emulator/faults", self._faults, methods=["GET", "POST", "DELETE"]),
                Route("/_emulator/quota", self._quota, methods=["GET", "POST"]),
            ]
        )

    # ------------------------------------------------------------------ dispatch

    async def _dispatch(self, request: Request) -> Response:
        method = request.path_params["method"]
        record: dict[str, Any] = {
            "method": method,
            "query": dict(request.query_params),
            "headers": {k: v for k, v in request.headers.items() if k != "authorization"},
            "auth": "missing",
            "body": None,
            "status": 200,
            "fault": None,
            "trace": trace_id(f"{id(self)}/{next(self._ids)}"),
        }
        self.requests.append(record)
        try:
            handler = self._methods.get(method)
            if handler is None:
                raise RpcError(404, NOT_FOUND)
            account = self._authenticate(request, record)
            raw = await request.body()
            try:
                record["body"] = json.loads(raw)
                self._keep_body(record, len(raw))
            except ValueError:
                raise bad_request(f"Invalid JSON payload received. Unexpected token.\n{raw[:40]!r}") from None
            return await handler(request, record, account)
        except RpcError as error:
            record["status"] = error.status
            return JSONResponse(
                error.body(), status_code=error.status, headers={TRACE_HEADER: record["trace"]}
            )

    def _authenticate(self, request: Request, record: dict[str, Any]) -> EmulatedAccount:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise unauthenticated(MISSING_CREDENTIALS, "CREDENTIALS_MISSING")
        if self.oauth.expired(token):
            record["auth"] = "expired"
            raise unauthenticated(INVALID_CREDENTIALS, "ACCESS_TOKEN_EXPIRED")
        account = self.oauth.account_of(token)
        if account is None:
            record["auth"] = "invalid"
            raise unauthenticated(INVALID_CREDENTIALS, "ACCESS_TOKEN_TYPE_UNSUPPORTED")
        record["auth"] = "valid"
        record["account"] = account.email
        return account

    def _check_client(self, request: Request) -> tuple[str, str]:
        """The client's family and version, refused the way the upstream refuses them."""
        client = client_of(request.headers.get("user-agent", ""))
        # the version series of the hub app; the CLI (cli/1.x) and the desktop forms number their own
        gated = client is not None and client[0] in ("hub", "legacy")
        if client is None or (
            gated and _version_tuple(client[1]) < _version_tuple(self.config.min_client_version)
        ):
            raise bad_request(
                "This version of Antigravity is no longer supported. Please update to receive the latest features!",
                status_name="FAILED_PRECONDITION",
            )
        if client[0] == "legacy":  # the non-hub form is reported to turn the account 403 (sub2api PR#7190)
            raise RpcError(403, "The caller does not have permission")
        return client

    def _check_model_access(self, client: tuple[str, str], checked: CheckedRequest) -> None:
        """The newest models answer 404 below the hub floor (and to the CLI form, which hides them)."""
        family, version = client
        if checked.model.newest and (
            family == "cli" or _version_tuple(version) < _version_tuple(self.config.hub_floor)
        ):
            raise RpcError(404, NOT_FOUND)

    # ------------------------------------------------------------------ generation

    def _prepare(
        self, request: Request, record: dict[str, Any], account: EmulatedAccount
    ) -> tuple[CheckedRequest, Fault | None, str]:
        """Version check, strict validation, the account's state and quota, then the fault (if any)
        this request meets."""
        client = self._check_client(request)
        checked = check_envelope(record["body"], self._projects_of(account))
        self._check_model_access(client, checked)
        check_history(checked.request, checked.model, self._signer_of(account.email))
        record["signer"] = account.email
        check_media(checked.request)
        self.book.admit(account, checked.model.id)
        header = request.headers.get(FAULT_HEADER)
        try:
            fault = parse_fault(header) if header else self.faults.draw(checked.model.id)
        except FaultSpecError as exc:
            raise bad_request(f"{FAULT_HEADER}: {exc}") from None
        record["fault"] = fault.kind if fault else None
        request_id = checked.envelope.get("requestId") or record["trace"]
        return checked, fault, request_id

    async def _before_reply(
        self, request: Request, record: dict[str, Any], checked: CheckedRequest, fault: Fault | None
    ) -> None:
        if fault is None:
            return
        if fault.kind == "slow":
            if await _sleep_unless_disconnected(request, fault.delay):
                record["disconnected"] = True
                self.client_left.set()
        elif fault.kind not in ("cut", "stream_error"):
            raise fault.error(checked.model.id)

    def _projects_of(self, account: EmulatedAccount) -> frozenset[str]:
        return frozenset({account.project, DEFAULT_PROJECT})

    async def _generate(self, request: Request, record: dict[str, Any], account: EmulatedAccount) -> Response:
        checked, fault, request_id = self._prepare(request, record, account)
        await self._before_reply(request, record, checked, fault)
        if fault is not None and fault.kind == "stream_error":
            raise fault.error(checked.model.id)
        trace = record["trace"]
        body = unary_body(self._reply(request, checked, request_id), trace, self._signer_for(checked, record))
        headers = {TRACE_HEADER: trace, "server-timing": "gfet4t7; dur=12"}
        if fault is not None and fault.kind == "cut":
            return _CutResponse(json.dumps(body).encode(), media_type="application/json", headers=headers)
        return JSONResponse(body, headers=headers)

    async def _stream(self, request: Request, record: dict[str, Any], account: EmulatedAccount) -> Response:
        checked, fault, request_id = self._prepare(request, record, account)
        await self._before_reply(request, record, checked, fault)
        trace = record["trace"]
        bodies = stream_bodies(
            self._reply(request, checked, request_id),
            trace,
            self.config.chunk_words,
            self._signer_for(checked, record),
        )
        headers = {TRACE_HEADER: trace, "server-timing": "gfet4t7; dur=12"}
        if request.query_params.get("alt") != "sse":
            if fault is not None and fault.kind in ("cut", "stream_error"):
                raise fault.error(checked.model.id)
            return JSONResponse(bodies, headers=headers)

        async def events() -> AsyncIterator[bytes]:
            for index, body in enumerate(bodies):
                if fault is not None and fault.kind in ("cut", "stream_error") and index == fault.chunks:
                    if fault.kind == "cut":
                        raise InjectedCut("stream cut by fault injection")
                    yield _sse(fault.error(checked.model.id).body())
                    return
                yield _sse(body)

        return StreamingResponse(events(), media_type="text/event-stream", headers=headers)

    def _signer_of(self, email: str) -> Signer:
        return self._other_signers.get(email, self.signer)

    def _signer_for(self, checked: CheckedRequest, record: dict[str, Any]) -> Signer | None:
        if checked.retired is not None:
            return None  # a notice is not the model's turn
        return self._signer_of(record["signer"])

    def _reply(self, request: Request, checked: CheckedRequest, request_id: str) -> Reply:
        if checked.retired is not None:  # the upstream answers 200 with a notice, not an error
            return notice_reply(checked.model, retirement_notice(checked.retired), request_id)
        return reply_to(checked.request, checked.model, request_id, str(request.base_url).rstrip("/"))

    # ------------------------------------------------------------------ discovery

    async def _load_code_assist(
        self, request: Request, record: dict[str, Any], account: EmulatedAccount
    ) -> Response:
        _read(_LOAD, record["body"])
        if not self._onboarded and account.email == self.config.email:
            return JSONResponse({"allowedTiers": _TIERS})
        return JSONResponse(
            {
                "cloudaicompanionProject": account.project,
                "currentTier": {"id": account.tier},
                "allowedTiers": _TIERS,
            }
        )

    async def _onboard_user(
        self, request: Request, record: dict[str, Any], account: EmulatedAccount
    ) -> Response:
        body = _read(_ONBOARD, record["body"])
        tier = body.get("tierId")
        if tier not in {t["id"] for t in _TIERS}:
            raise bad_request(f"Invalid tier id {tier!r}.", field="tier_id")
        self._onboard_calls += 1
        name = "operations/onboard-emulator"
        if self._onboard_calls <= self.config.onboard_polls:
            return JSONResponse({"name": name, "done": False})
        self._onboarded = True
        project = {"id": self.config.project, "name": self.config.project}
        return JSONResponse(
            {
                "name": name,
                "done": True,
                "response": {
                    "@type": "type.googleapis.com/google.internal.cloud.code.v1internal.OnboardUserResponse",
                    "cloudaicompanionProject": project,
                },
            }
        )

    async def _fetch_available_models(
        self, request: Request, record: dict[str, Any], account: EmulatedAccount
    ) -> Response:
        self._check_client(request)
        body = _read(_MODELS_REQUEST, record["body"])
        if body.get("project") not in self._projects_of(account):
            raise RpcError(403, f"Permission denied on project {body.get('project')!r}.")
        models: dict[str, Any] = {model.id: self._model_entry(model, account) for model in MODELS.values()}
        for internal in INTERNAL_IDS:  # the real map holds ids no client offers
            models[internal] = {
                "displayName": internal,
                "quotaInfo": {"remainingFraction": 1, "resetTime": _reset()},
            }
        return JSONResponse(
            {
                "models": models,
                "deprecatedModelIds": {old: {"newModelId": r.successor} for old, r in RETIRED.items()},
            }
        )

    def _model_entry(self, model: EmulatedModel, account: EmulatedAccount) -> dict[str, Any]:
        counted = self.book.remaining(account, model.id)
        quota: dict[str, Any] = {
            "resetTime": timestamp(self.book.reset_at(account, model.id)) if counted is not None else _reset()
        }
        fraction = counted if counted is not None else self.quota.get(model.id, 1.0)
        if fraction:
            quota["remainingFraction"] = fraction  # proto3 leaves 0 out: a missing fraction means exhausted
        entry: dict[str, Any] = {
            "displayName": model.display_name,
            "quotaInfo": quota,
            "maxTokens": 200000 if model.family == "claude" else 1048576,
            "maxOutputTokens": model.max_output_tokens,
            "supportsImages": model.family != "gpt-oss",
            "supportedMimeTypes": {"image/png": True, "image/jpeg": True},
        }
        if model.thinking != "none":
            entry["supportsThinking"] = True
            entry["thinkingBudget"] = 24576
        if model.id == "gemini-3-flash":
            entry["recommended"] = True
        return entry

    async def _manifest(self, request: Request) -> Response:
        """The updater manifest, as the Antigravity hub's auto-updater serves it (YAML)."""
        self.requests.append({"method": "manifest", "path": request.url.path, "status": 200})
        version = self.config.latest_version
        text = (
            f"version: {version}\nfiles:\n  - url: Antigravity-{version}-arm64-mac.zip\n"
            f"path: Antigravity-{version}-arm64-mac.zip\nreleaseDate: '2026-11-20T10:00:00.000Z'\n"
        )
        return Response(text, media_type="text/yaml")

    async def _grounding_redirect(self, request: Request) -> Response:
        document = BY_ID.get(request.path_params["doc"])
        if document is None:
            return Response("Not found", status_code=404)
        return RedirectResponse(document.target, status_code=302)

    # ------------------------------------------------------------------ control API

    async def _health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok", "models": sorted(MODELS), "project": self.config.project})

    def _keep_body(self, record: dict[str, Any], size: int) -> None:
        self._bodies.append((record, size))
        self._body_bytes += size
        while self._body_bytes > self.config.log_bytes and len(self._bodies) > 1:
            old, old_size = self._bodies.popleft()
            self._body_bytes -= old_size
            old["body"] = {"elided": f"{old_size} bytes, beyond the log's bound"}

    async def _requests(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.requests.clear()
        return JSONResponse({"requests": list(self.requests)})

    async def _quota(self, request: Request) -> Response:
        """GET: the remaining fraction per model; POST ``{"<model>": 0.25, ...}`` sets them (0: used up)."""
        if request.method == "POST":
            try:
                payload = json.loads(await request.body())
                if not isinstance(payload, dict) or not all(
                    isinstance(v, int | float) and 0 <= v <= 1 for v in payload.values()
                ):
                    raise ValueError('post {"<model id>": <fraction from 0 to 1>, ...}')
            except ValueError as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            self.quota.update({str(k): float(v) for k, v in payload.items()})
        return JSONResponse({"quota": {m: self.quota.get(m, 1.0) for m in MODELS}})

    async def _faults(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.faults.clear()
        elif request.method == "POST":
            try:
                payload = json.loads(await request.body())
                items = payload.get("faults", []) if isinstance(payload, dict) else None
                if not isinstance(items, list):
                    raise FaultSpecError('post {"faults": [{"kind": ...}, ...]}')
                for item in items:
                    self.faults.add(parse_fault(item) if isinstance(item, str) else fault_from_mapping(item))
            except (ValueError, TypeError, AttributeError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"faults": self.faults.describe()})


def _reset(hours: float = 5.0) -> str:
    """A quota reset time, ``hours`` from now, as the upstream writes timestamps."""
    moment = datetime.now(UTC) + timedelta(hours=hours)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _read(message: Message, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request("Invalid JSON payload received. Expected an object at the top level.")
    return message.read(body, "")


def _sse(payload: object) -> bytes:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\r\n\r\n".encode()


async def _sleep_unless_disconnected(request: Request, seconds: float) -> bool:
    """Wait ``seconds`` before answering, but stop waiting when the client goes away (then True)."""
    left = False
    async with anyio.create_task_group() as group:

        async def watch() -> None:
            nonlocal left
            while (await request.receive()).get("type") != "http.disconnect":
                pass
            left = True
            group.cancel_scope.cancel()

        group.start_soon(watch)
        await anyio.sleep(seconds)
        group.cancel_scope.cancel()
    return left
