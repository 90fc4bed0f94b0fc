"""The Antigravity client: the only code that talks to the upstream.

The send path has layers, each with one job:

* :meth:`AntigravityClient.generate` / :meth:`AntigravityClient.stream` build the envelope;
* :meth:`AntigravityClient._run` owns the call's deadline and the retry/fallback loop, asking
  :func:`retry.decide` what to do after each failure;
* ``_post_unary`` / ``_post_stream`` do one HTTP exchange with one base URL and translate
  every foreign error into the :mod:`errors` tree.
"""

from __future__ import annotations

import logging
import random as _random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import httpx2
import pydantic_core

from ..config import Settings
from .accounts import AccountPool, Lease, pool_for
from .auth import CredentialKind, TokenSource
from .available import AvailableModels, quota_of, read_available_models
from .discovery import ProjectResolver
from .errors import (
    AntigravityConnectionError,
    AntigravityError,
    AntigravityStatusError,
    AntigravityTimeoutError,
    AuthenticationError,
    NotFoundError,
    RateLimitError,
    ResponseFormatError,
    UpstreamNotice,
    error_from_body,
)
from .facts import ClientFacts
from .identity import ClientIdentity
from .notices import read_notice
from .pool import HttpClient, ShardedPool
from .retry import Action, RetryPolicy, decide
from .rotation import Cool, verdict
from .stream import merge_chunks, parse_envelope, read_payload
from .wire import GenerateContentRequest, GenerateContentResponse, RequestEnvelope, new_session_id, to_wire

log = logging.getLogger(__name__)

T = TypeVar("T")
ChunkCallback = Callable[[GenerateContentResponse], Awaitable[None]]
Attempt = Callable[[str, Lease], Awaitable[T]]
"""One exchange with one base URL, made with one account."""


@dataclass
class Route:
    """A conversation's account: the one it is on when the call starts (``account``, ``None`` for a
    new conversation), and, once the call returns, the one that answered. ``request_for`` builds
    the request for another account when the call must move (without the first account's
    thought signatures); without it the same request goes to any account."""

    account: str | None = None
    request_for: Callable[[str], GenerateContentRequest] | None = None


TRACE_HEADER = "x-cloudaicompanion-trace-id"
CATALOG_RETRY = 60.0
"""Seconds before an unanswered fetchAvailableModels is tried again."""
CATALOG_DEADLINE = 10.0
"""Seconds the catalog may hold up a call: it is a hint, the call itself decides."""
# A generated image arrives as one event: several MB of base64 for 2K and 4K images.
MAX_EVENT_BYTES = 64 * 1024 * 1024


def open_http_client(settings: Settings) -> ShardedPool:
    """The process's pooled HTTP client for the upstream, with the configured timeouts and size."""
    return ShardedPool.open(
        settings.max_connections,
        timeout=httpx2.Timeout(settings.read_timeout, connect=settings.connect_timeout),
        follow_redirects=False,
    )


class AntigravityClient:
    """Calls the Antigravity gateway with fallback, retries and a deadline per call."""

    def __init__(
        self,
        settings: Settings,
        http: HttpClient,
        *,
        tokens: TokenSource | None = None,
        accounts: AccountPool | None = None,
        random: Callable[[], float] = _random.random,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._http = http
        self.accounts = accounts or (AccountPool.single(tokens) if tokens else pool_for(settings, http))
        self.identity = ClientIdentity(settings, http, clock)
        self._available: dict[str, tuple[float, AvailableModels | None]] = {}
        self._available_locks: dict[str, anyio.Lock] = {}
        self._random = random
        self._sleep = sleep
        self._clock = clock
        self._policy = RetryPolicy(
            max_retries=settings.max_retries,
            max_retry_delay=settings.max_retry_delay,
            backoff_initial=settings.backoff_initial,
            backoff_max=settings.backoff_max,
        )
        self._projects = ProjectResolver(
            self._discover,
            configured=settings.project,
            fallback=settings.fallback_project,
            poll_attempts=settings.onboard_poll_attempts,
            poll_interval=settings.onboard_poll_interval,
            version=self.identity.version,
            sleep=sleep,
        )

    # ------------------------------------------------------------------ public API

    async def project(self, account: str | None = None) -> str:
        """The project id calls with ``account`` (default: the pool's first) run under (configured,
        stored with the account, discovered, or the fallback)."""
        return await self._project_of(self._lease_of(account))

    @property
    def credential_kind(self) -> CredentialKind:
        """Which setting the credentials come from (for advice when the upstream refuses them)."""
        return self.accounts.kind

    async def available_models(
        self, *, refresh: bool = False, account: str | None = None
    ) -> AvailableModels | None:
        """``fetchAvailableModels`` for ``account`` (default: the pool's first): fetched on first
        need, kept for ``ANTIGRAVITY_MODEL_CATALOG_TTL`` seconds, again after a 404 or a retirement
        notice. ``None`` when the upstream does not answer it within :data:`CATALOG_DEADLINE`
        (callers fall back on the built-in table; it is tried again after :data:`CATALOG_RETRY`).
        The quota it reports is recorded with the account."""
        lease = self._lease_of(account)
        lock = self._available_locks.setdefault(lease.email, anyio.Lock())
        async with lock:
            cached = self._available.get(lease.email)
            if cached is not None and not refresh and self._clock() < cached[0]:
                return cached[1]
            models: AvailableModels | None = None
            with anyio.move_on_after(CATALOG_DEADLINE):
                try:
                    payload = await self._post_discovery(
                        "fetchAvailableModels", {"project": await self._project_of(lease)}, lease
                    )
                    models = read_available_models(payload)
                except AntigravityError as exc:
                    log.warning(
                        "cannot read the model catalog of %s (fetchAvailableModels: %s); using the built-in one",
                        lease.email,
                        exc,
                    )
            keep = self._settings.model_catalog_ttl if models is not None else CATALOG_RETRY
            self._available[lease.email] = (self._clock() + keep, models)
        if models is not None:
            await self.accounts.saw_quota(lease.email, quota_of(models))
        return models

    async def facts(self) -> ClientFacts:
        """What advice about a failed call depends on: the credentials, the version sent, and the
        catalog as last read (never read anew here: a failed call is answered at once)."""
        cached = self._available.get(self.accounts.first().email)
        return ClientFacts(
            credentials=self.credential_kind,
            client_version=await self.identity.version(),
            available=cached[1] if cached is not None else None,
        )

    def forget_available_models(self) -> None:
        """Read the catalog again on next need (after a 404 or a retirement notice); until then the
        last one read still informs advice."""
        self._available = {account: (0.0, models) for account, (_, models) in self._available.items()}

    async def generate(
        self,
        model: str,
        request: GenerateContentRequest,
        *,
        request_type: str = "agent",
        route: Route | None = None,
    ) -> tuple[GenerateContentResponse, str | None]:
        """One unary ``generateContent`` call; returns the response and the trace id.

        Raises :class:`UpstreamNotice` when the answer is an upstream notice (a retired model, a
        client too old) rather than the model's answer."""
        bodies = self._bodies(model, request, request_type, route)
        return await self._answer(
            model,
            self._run(
                f"generateContent for {model}",
                self._settings.endpoints,
                lambda base, lease: self._post_unary(base, lease, bodies),
                model=model,
                route=route,
            ),
        )

    async def stream(
        self,
        model: str,
        request: GenerateContentRequest,
        *,
        on_chunk: ChunkCallback | None = None,
        request_type: str = "agent",
        route: Route | None = None,
    ) -> tuple[GenerateContentResponse, str | None]:
        """A streamed call; ``on_chunk`` sees each chunk as it arrives, and the merged response is returned.

        Fallback, retries and moves to another account apply until the first chunk has been handed
        to ``on_chunk``; after that a failure is raised as it is, since the caller has already seen
        output.
        """
        bodies = self._bodies(model, request, request_type, route)
        delivered = False

        async def deliver(chunk: GenerateContentResponse) -> None:
            nonlocal delivered
            delivered = True
            if on_chunk is not None:
                await on_chunk(chunk)

        return await self._answer(
            model,
            self._run(
                f"streamGenerateContent for {model}",
                self._settings.endpoints,
                lambda base, lease: self._post_stream(base, lease, bodies, deliver),
                retryable=lambda: not delivered,
                model=model,
                route=route,
            ),
        )

    def _bodies(
        self, model: str, request: GenerateContentRequest, request_type: str, route: Route | None
    ) -> Callable[[Lease], Awaitable[dict[str, Any]]]:
        """The envelope for an account, made when the call first needs it for that account (the
        project is the account's; a moved conversation gets its request rebuilt). Only the last
        one is kept: a body may carry 20 MB of media."""
        made: dict[str, dict[str, Any]] = {}

        def request_for(lease: Lease) -> GenerateContentRequest:
            if route is None or route.request_for is None or route.account in (None, lease.email):
                return request
            return route.request_for(lease.email)  # a moved conversation

        async def body_for(lease: Lease) -> dict[str, Any]:
            if lease.email not in made:
                made.clear()
                made[lease.email] = await self._envelope(
                    model, request_for(lease), request_type, await self._project_of(lease)
                )
            return made[lease.email]

        return body_for

    async def _answer(
        self, model: str, call: Awaitable[tuple[GenerateContentResponse, str | None]]
    ) -> tuple[GenerateContentResponse, str | None]:
        """The answer of ``call``, unless it is an upstream notice (then :class:`UpstreamNotice`). A 404
        or a notice, answered or raised, means the catalog may have changed."""
        try:
            response, trace = await call
        except AntigravityError as error:
            error.model_asked = model
            if isinstance(error, NotFoundError) or (
                isinstance(error, AntigravityStatusError) and error.notice is not None
            ):
                self.forget_available_models()
            raise
        notice = read_notice(response.answer_text) if response.only_text else None
        if notice is not None:
            self.forget_available_models()
            raise UpstreamNotice(notice, model=model, trace_id=trace)
        return response, trace

    # ------------------------------------------------------------------ the retry loop

    async def _run(
        self,
        what: str,
        endpoints: Sequence[str],
        attempt: Attempt[T],
        *,
        retryable: Callable[[], bool] = lambda: True,
        model: str | None = None,
        route: Route | None = None,
        lease: Lease | None = None,
    ) -> T:
        """The retry loop under the call's deadline. A ``lease`` pins the call to one account
        (discovery); otherwise the pool lends one for ``model`` and failures may move the call."""
        deadline = self._settings.request_deadline
        with anyio.move_on_after(deadline):
            return await self._attempts(
                what, endpoints, attempt, retryable, self._clock() + deadline, model, route, lease
            )
        raise AntigravityTimeoutError(
            f"{what} did not finish within {deadline:g} s (ANTIGRAVITY_REQUEST_DEADLINE). "
            "The upstream is slow or unreachable; try again later or raise the deadline.",
            deadline=deadline,
        )

    async def _attempts(
        self,
        what: str,
        endpoints: Sequence[str],
        attempt: Attempt[T],
        retryable: Callable[[], bool],
        deadline_at: float,
        model: str | None,
        route: Route | None,
        pinned: Lease | None,
    ) -> T:
        tried: set[str] = set()
        if pinned is None:
            await self.accounts.sync()
        lease = pinned or self._first_lease(model, route)
        index = retries = 0
        renewed = moved_for_rate_limit = False
        while True:
            try:
                result = await attempt(endpoints[index], lease)
            except AntigravityError as error:
                if not retryable():
                    raise
                if isinstance(error, AuthenticationError) and not renewed and await lease.tokens.invalidate():
                    renewed = True  # a refused token is renewed once, then the call is tried again
                    log.info(
                        "%s: the upstream refused the access token of %s; renewing it", what, lease.email
                    )
                    continue
                said = verdict(error, now=self.accounts.now()) if pinned is None else None
                if said is not None:
                    soft = isinstance(said, Cool) and said.soft
                    tried.add(lease.email)
                    following = self.accounts.lease(model, exclude=tried)
                    if following is not None or not soft:
                        await self.accounts.failed(lease.email, model, said)
                    if following is not None:
                        log.info(
                            "%s: %s on %s; moving to %s", what, said.reason, lease.email, following.email
                        )
                        lease, index, retries = following, 0, 0
                        renewed = moved_for_rate_limit = False
                        continue
                    if not soft:  # a short limit with no other account waits below, whatever the pool's size
                        if len(self.accounts.emails) > 1 and model is not None:
                            raise self.accounts.spent(model) from error
                        raise
                decision = decide(
                    error,
                    endpoint_index=index,
                    endpoint_count=len(endpoints),
                    retries_done=retries,
                    time_left=deadline_at - self._clock(),
                    policy=self._policy,
                    random=self._random,
                    moved_for_rate_limit=moved_for_rate_limit,
                )
                log.info("%s via %s failed (%s): %s", what, endpoints[index], error, decision.why)
                if decision.action is Action.FAIL:
                    raise
                if isinstance(error, RateLimitError) and decision.action is Action.NEXT_ENDPOINT:
                    moved_for_rate_limit = True
                if decision.action is Action.RETRY:
                    retries += 1
                    await self._sleep(decision.delay)
                index = decision.endpoint_index
            else:
                if route is not None:
                    route.account = lease.email
                return result

    def _first_lease(self, model: str | None, route: Route | None) -> Lease:
        """The account a call starts on; a call no account can serve fails here, before any request."""
        lease = self.accounts.lease(model, prefer=route.account if route else None)
        if lease is None:
            if model is None:
                return self.accounts.first()
            raise self.accounts.spent(model)
        return lease

    def _lease_of(self, account: str | None) -> Lease:
        return self.accounts.first() if account is None else self.accounts.lease_of(account)

    async def _project_of(self, lease: Lease) -> str:
        if self._settings.project or lease.project is None:
            project = await self._projects.project_for(lease.email)
            if not self._settings.project and lease.email in self._projects.found:  # never the fallback
                await self.accounts.saw_project(lease.email, project, self._projects.tiers.get(lease.email))
            return project
        return lease.project

    # ------------------------------------------------------------------ one exchange

    async def _headers(self, lease: Lease, *, stream: bool) -> dict[str, str]:
        """Only these: the peers dropped ``Client-Metadata`` and ``X-Goog-Api-Client`` (a fingerprint
        that contradicts the Antigravity identity)."""
        headers = {
            "Authorization": f"Bearer {await lease.tokens.token()}",
            "Content-Type": "application/json",
            "User-Agent": await self.identity.user_agent(),
        }
        if stream:
            headers["Accept"] = "text/event-stream"
        return headers

    async def _envelope(
        self, model: str, request: GenerateContentRequest, request_type: str, project: str
    ) -> dict[str, Any]:
        if request_type == "agent" and request.session_id is None:
            # every agent request carries one; a call that is no conversation gets its own
            request = request.model_copy(update={"session_id": new_session_id()})
        envelope = RequestEnvelope(
            project=project,
            model=model,
            request=request,
            user_agent="antigravity",
            request_type=request_type,
            request_id=f"agent-{uuid.uuid4()}",
        )
        return to_wire(envelope)

    async def _post_json(
        self, base: str, lease: Lease, method: str, body: dict[str, Any]
    ) -> tuple[Any, str | None]:
        headers = await self._headers(lease, stream=False)
        try:
            response = await self._http.post(
                f"{base}/v1internal:{method}", content=_json(body), headers=headers
            )
        except httpx2.HTTPError as exc:
            raise _translate(exc, base) from exc
        trace = response.headers.get(TRACE_HEADER)
        if response.status_code >= 400:
            raise error_from_body(response.status_code, response.content, trace_id=trace, endpoint=base)
        try:
            return response.json(), trace
        except ValueError as exc:
            raise ResponseFormatError(f"{base} answered {method} with a body that is not JSON") from exc

    async def _post_discovery(self, method: str, body: dict[str, Any], lease: Lease) -> Any:
        payload, _ = await self._run(
            f"{method} for {lease.email}",
            self._settings.effective_discovery_endpoints,
            lambda base, lease: self._post_json(base, lease, method, body),
            lease=lease,
        )
        return payload

    async def _discover(self, account: str, method: str, body: dict[str, Any]) -> Any:
        return await self._post_discovery(method, body, self._lease_of(account))

    async def _post_unary(
        self, base: str, lease: Lease, bodies: Callable[[Lease], Awaitable[dict[str, Any]]]
    ) -> tuple[GenerateContentResponse, str | None]:
        payload, trace = await self._post_json(base, lease, "generateContent", await bodies(lease))
        envelope = parse_envelope(payload)
        return envelope.response, envelope.trace_id or trace

    async def _post_stream(
        self,
        base: str,
        lease: Lease,
        bodies: Callable[[Lease], Awaitable[dict[str, Any]]],
        deliver: ChunkCallback,
    ) -> tuple[GenerateContentResponse, str | None]:
        headers = await self._headers(lease, stream=True)
        encoded = _json(await bodies(lease))
        content: bytes | AsyncIterator[bytes] = encoded
        if len(encoded) > _PIECE:  # large media: sent piece by piece, never copied whole into a send buffer
            content, headers = _pieces(encoded), {**headers, "Content-Length": str(len(encoded))}
        del encoded
        chunks: list[GenerateContentResponse] = []
        try:
            async with self._http.stream(
                "POST",
                f"{base}/v1internal:streamGenerateContent",
                params={"alt": "sse"},
                content=content,
                headers=headers,
            ) as response:
                trace = response.headers.get(TRACE_HEADER)
                if response.status_code >= 400:
                    raise error_from_body(
                        response.status_code, await response.aread(), trace_id=trace, endpoint=base
                    )
                content_type = response.headers.get("content-type", "").partition(";")[0].strip()
                if content_type != "text/event-stream":
                    raise ResponseFormatError(f"{base} answered a stream request with {content_type!r}")
                async for event in httpx2.EventSource(response, max_event_size=MAX_EVENT_BYTES):
                    envelope = read_payload(event.data, endpoint=base)
                    if envelope is None:
                        continue
                    trace = trace or envelope.trace_id
                    chunks.append(envelope.response)
                    await deliver(envelope.response)
        except httpx2.HTTPError as exc:
            raise _translate(exc, base) from exc
        merged = merge_chunks(chunks)
        if not _finished(merged):
            raise AntigravityConnectionError(
                f"The stream from {base} ended before the model finished its answer.", endpoint=base
            )
        return merged, trace


def _json(body: dict[str, Any]) -> bytes:
    """The request body as JSON bytes, made in one step (no intermediate text copy: a request may
    carry 20 MB of base64)."""
    return pydantic_core.to_json(body)


_PIECE = 256 * 1024


async def _pieces(data: bytes) -> AsyncIterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(view), _PIECE):
        yield view[start : start + _PIECE].tobytes()


def _finished(response: GenerateContentResponse) -> bool:
    blocked = response.prompt_feedback is not None and response.prompt_feedback.block_reason is not None
    return blocked or any(candidate.finish_reason for candidate in response.candidates)


def _translate(exc: httpx2.HTTPError, base: str) -> AntigravityError:
    """The one place where HTTP-library errors become client errors."""
    if isinstance(exc, httpx2.TimeoutException):
        return AntigravityConnectionError(
            f"{base} did not answer in time ({type(exc).__name__}).", endpoint=base
        )
    if isinstance(exc, httpx2.RemoteProtocolError):
        return AntigravityConnectionError(f"The connection to {base} broke mid-response.", endpoint=base)
    if isinstance(exc, httpx2.SSEError):
        return ResponseFormatError(f"{base} sent a malformed event stream: {exc}")
    return AntigravityConnectionError(f"Cannot reach {base}: {exc or type(exc).__name__}.", endpoint=base)
