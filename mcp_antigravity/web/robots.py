"""robots.txt, as RFC 9309 reads it, fetched through the SSRF-safe fetcher and cached per site.

* Rules are cached per site for an hour, for at most 512 sites.
* 2xx: the rules apply, for our product token (``ANTIGRAVITY_READER_USER_AGENT``) or ``*``.
* 4xx (no robots.txt, or forbidden to read): everything is allowed.
* 5xx or unreachable: everything is disallowed for now (the site may be down or refusing us).
* A refused (internal) address is the caller's problem, not a robots question: it propagates.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from .fetcher import FetchError, FetchRefused, SafeFetcher

TTL = 3600.0
MAX_SITES = 512
"""Sites whose rules are kept; the least recently fetched go first."""


class Robots:
    def __init__(self, fetcher: SafeFetcher, agent: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._fetcher = fetcher
        self._agent = agent
        self._clock = clock
        self._cache: dict[str, tuple[float, RobotFileParser | str | None]] = {}

    async def refusal(self, url: str) -> str | None:
        """Why robots.txt keeps us from ``url`` (``None``: it may be fetched)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        cached = self._cache.get(origin)
        if cached is None or self._clock() - cached[0] > TTL:
            cached = (self._clock(), await self._load(origin))
            self._cache.pop(origin, None)  # re-inserted last: the dict's order is the age order
            self._cache[origin] = cached
            while len(self._cache) > MAX_SITES:
                del self._cache[next(iter(self._cache))]
        rules = cached[1]
        if isinstance(rules, RobotFileParser):
            return (
                None
                if rules.can_fetch(self._agent, url)
                else f"robots.txt does not allow {self._agent} to fetch it"
            )
        return rules

    async def _load(self, origin: str) -> RobotFileParser | str | None:
        """The rules; ``None`` when everything is allowed; the reason when nothing is, for now."""
        try:
            fetched = await self._fetcher.fetch(f"{origin}/robots.txt", accept="text/plain")
        except FetchRefused:
            raise
        except FetchError as exc:
            return f"its robots.txt could not be read, so the site is treated as closed for now ({exc})"
        if 400 <= fetched.status < 500:
            return None
        if not 200 <= fetched.status < 300:
            return f"its robots.txt answered HTTP {fetched.status}, so the site is treated as closed for now"
        parser = RobotFileParser()
        parser.parse(fetched.content.decode("utf-8", errors="replace").splitlines())
        return parser
