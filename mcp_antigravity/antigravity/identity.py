"""Who the client says it is: the ``User-Agent``, and where its version comes from.

The upstream gates on the client version and moves the floor every few weeks (1.11.x was
refused in January 2026; by August only ``antigravity/hub/2.9.x`` reached the newest models,
older versions got 404 for them). So:

* the form is ``antigravity/hub/<version> <os>/<arch>`` (:func:`user_agent`);
  ``ANTIGRAVITY_USER_AGENT`` replaces it whole;
* the version is ``ANTIGRAVITY_CLIENT_VERSION``, a floor; when discovery is on, the version
  the Antigravity updater manifest announces is used instead whenever it is higher, read
  once per TTL (one reader at a time); a manifest that cannot be read is logged once and
  the floor is used until the next try.
"""

from __future__ import annotations

import logging
import platform
import re
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import anyio
import httpx2

from ..config import Settings
from .pool import HttpClient

log = logging.getLogger(__name__)

RETRY_AFTER_FAILURE = 1800.0
"""Seconds before an unreadable manifest is tried again."""
MANIFEST_TIMEOUT = 5.0
_MANIFEST_VERSION = re.compile(r"^version:\s*['\"]?(\d+(?:\.\d+){1,3})['\"]?\s*$", re.MULTILINE)


def platform_tag(system: str | None = None, machine: str | None = None) -> str:
    """``linux/amd64``, ``darwin/arm64``, ``windows/amd64``: the host, in the upstream's spelling."""
    name = (system or platform.system()).lower()
    os_name = {"darwin": "darwin", "windows": "windows"}.get(name, "linux")
    arch = (machine or platform.machine()).lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(arch, arch)
    return f"{os_name}/{arch or 'unknown'}"


def user_agent(version: str, tag: str | None = None) -> str:
    """The current form: ``antigravity/hub/2.9.1 darwin/arm64``."""
    return f"antigravity/hub/{version} {tag or platform_tag()}"


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def manifest_version(text: str) -> str | None:
    """The ``version:`` of an updater manifest (YAML; only that line is read)."""
    match = _MANIFEST_VERSION.search(text)
    return match.group(1) if match else None


def discovery_enabled(settings: Settings) -> bool:
    """``auto`` reads the manifest only when generation goes to Google's own hosts."""
    if settings.client_version_manifest_url is None or settings.user_agent is not None:
        return False
    if settings.client_version_discovery != "auto":
        return settings.client_version_discovery == "on"
    return all((urlsplit(url).hostname or "").endswith(".googleapis.com") for url in settings.endpoints)


class ClientIdentity:
    """The ``User-Agent`` to send, with the version kept current as the module says."""

    def __init__(
        self, settings: Settings, http: HttpClient, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._settings = settings
        self._http = http
        self._clock = clock
        self._discover = discovery_enabled(settings)
        self._known: str | None = None
        self._next_read = 0.0
        self._warned = False
        self._lock = anyio.Lock()

    async def version(self) -> str:
        """The version to send: the configured floor, or the manifest's when that is higher."""
        floor = self._settings.client_version
        if not self._discover:
            return floor
        if self._clock() >= self._next_read:
            async with self._lock:
                if self._clock() >= self._next_read:
                    await self._read_manifest()
        if self._known is not None and version_key(self._known) > version_key(floor):
            return self._known
        return floor

    async def user_agent(self) -> str:
        if self._settings.user_agent is not None:
            return self._settings.user_agent
        return user_agent(await self.version())

    async def _read_manifest(self) -> None:
        url = self._settings.client_version_manifest_url
        assert url is not None
        try:
            response = await self._http.get(url, timeout=MANIFEST_TIMEOUT)
            found = manifest_version(response.text) if response.status_code == 200 else None
            if found is None:
                raise ValueError(f"HTTP {response.status_code}, no version line")
        except (httpx2.HTTPError, ValueError) as exc:
            if not self._warned:
                log.warning(
                    "cannot read the Antigravity version from %s (%s); sending %s (ANTIGRAVITY_CLIENT_VERSION)",
                    url,
                    exc,
                    self._settings.client_version,
                )
                self._warned = True
            self._next_read = self._clock() + RETRY_AFTER_FAILURE
            return
        if found != self._known:
            log.info("the Antigravity updater announces version %s", found)
        self._known = found
        self._next_read = self._clock() + self._settings.client_version_ttl_hours * 3600
