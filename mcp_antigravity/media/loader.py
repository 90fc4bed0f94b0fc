"""One loader for every tool that takes media: paths, ``file://``, ``http(s)://``, ``data:`` URIs, raw base64.

* The type comes from the bytes (:mod:`.mediainfo`); an extension or declared type that
  disagrees is ignored, and bytes that are not the expected kind (an image for ``vision``,
  audio for ``transcribe``) or whose header is broken are refused.
* Sizes are checked before whole files are read: a local file by ``stat``, a download by a
  capped stream, a data URI or base64 text by its length.
* URLs go through the SSRF-safe :class:`~.fetcher.SafeFetcher`.
* Local files: anywhere when the server runs over stdio for its own user and no roots are
  configured; only inside ``ANTIGRAVITY_FILE_ROOTS`` when roots are set (symbolic links are
  resolved first, so they cannot lead out); not at all for callers over HTTP unless roots are set.
* :func:`check_request_budget` keeps a whole request under the upstream's 20 MB, base64
  overhead and prompt included.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

import anyio
import anyio.to_thread

from ..web.fetcher import FetchError, SafeFetcher
from .info import AUDIO_TYPES, IMAGE_TYPES, CorruptMedia, audio_info, image_info, sniff

Kind = Literal["image", "audio"]
REQUEST_LIMIT = 20 * 1024 * 1024
_WIRE_TYPES = {"audio/mpeg": "audio/mp3", "audio/mp4": "audio/m4a"}
_SPACE = re.compile(r"\s")
_BASE64 = re.compile(r"[A-Za-z0-9+/=_\-\s]+")
_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]+:")  # two letters at least: "C:" is a drive


class MediaError(ValueError):
    """The media cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class MediaNote:
    """What a result says about media it used, once the bytes themselves are gone."""

    source: str
    mime_type: str
    size: int


@dataclass(frozen=True)
class Media:
    data: bytes
    mime_type: str
    """The sniffed type, as the upstream names it."""
    source: str
    """Where it came from, for messages (a path, a URL, "data URI", "base64")."""
    encoded: str | None = field(default=None, repr=False)
    """The caller's own base64 of ``data``, when it came as canonical base64 (sent as it is,
    sparing a second copy of a large file)."""

    @property
    def base64(self) -> str:
        return self.encoded if self.encoded is not None else base64.b64encode(self.data).decode("ascii")

    def note(self) -> MediaNote:
        return MediaNote(self.source, self.mime_type, len(self.data))


def _human(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def check_request_budget(media: list[Media], prompt: str, limit: int = REQUEST_LIMIT) -> None:
    """Refuse a request the upstream would refuse for its size (base64 grows data by 4/3)."""
    total = sum(4 * math.ceil(len(m.data) / 3) for m in media) + len(prompt.encode()) + 4096
    if total > limit:
        raise MediaError(
            f"The request would be {_human(total)} (media as base64 plus the prompt); the upstream takes at most "
            f"{_human(limit)}. Send fewer or smaller files (about {_human(limit * 3 // 4)} of raw media fits)."
        )


class MediaLoader:
    def __init__(self, fetcher: SafeFetcher, *, roots: list[Path], local_files: bool, max_bytes: int) -> None:
        self._fetcher = fetcher
        self._roots = [root.resolve() for root in roots]
        self._local_files = local_files or bool(roots)
        self.max_bytes = max_bytes

    async def load_all(self, sources: list[str], kind: Kind) -> list[Media]:
        """Each of ``sources``, in order; a failure names which one ("image 2: ...")."""
        loaded = []
        for number, source in enumerate(sources, start=1):
            try:
                loaded.append(await self.load(source, kind))
            except MediaError as exc:
                label = f"{kind} {number}" if len(sources) > 1 else kind
                raise MediaError(f"{label}: {exc}") from None
        return loaded

    async def load(self, source: str, kind: Kind) -> Media:
        source = source.strip()
        if not source:
            raise MediaError(f"Empty {kind} source: give a path, a URL, a data: URI or base64.")
        encoded: str | None = None
        if source.startswith("data:"):
            (data, encoded), label = self._data_uri(source), "data URI"
        elif _URL_SCHEME.match(source) and not source.lower().startswith(("http://", "https://", "file://")):
            scheme = source.split(":", 1)[0]
            raise MediaError(
                f"{scheme}: URLs are not read; give an http(s) URL, a file path, a data: URI or base64 data."
            )
        elif source.lower().startswith(("http://", "https://")):
            data, label = await self._download(source), source
        elif source.startswith("file://"):
            path = Path(unquote(urlsplit(source).path))
            data, label = await self._read(path), str(path)
        elif _looks_like_path(source):
            data, label = await self._read(Path(source)), source
        elif _BASE64.fullmatch(source) and len(source) >= 16:
            (data, encoded), label = self._base64(source, "base64"), "base64 data"
        else:
            raise MediaError(
                f"{source[:60]!r} is not a file path, an http(s) URL, a data: URI or base64 data."
            )
        return Media(data, self._checked_type(data, kind, label), label, encoded)

    # ------------------------------------------------------------------ sources

    def _data_uri(self, source: str) -> tuple[bytes, str | None]:
        header, sep, payload = source.partition(",")
        if not sep or ";base64" not in header:
            raise MediaError("A data: URI must be base64 encoded: data:<type>;base64,<data>.")
        return self._base64(payload, "the data: URI")

    def _base64(self, text: str, what: str) -> tuple[bytes, str | None]:
        """The bytes, and ``text`` itself when it is canonical base64 that can be sent on as it is."""
        compact = re.sub(r"\s+", "", text) if _SPACE.search(text) else text
        if len(compact) * 3 // 4 > self.max_bytes:
            raise MediaError(
                f"{what} holds about {_human(len(compact) * 3 // 4)}; the limit is {_human(self.max_bytes)}."
            )
        try:
            if "-" in compact or "_" in compact:
                return base64.urlsafe_b64decode(compact + "=" * (-len(compact) % 4)), None
            canonical = compact is text and len(text) % 4 == 0
            return base64.b64decode(
                compact + "=" * (-len(compact) % 4), validate=True
            ), text if canonical else None
        except (binascii.Error, ValueError):
            raise MediaError(f"{what} is not valid base64.") from None

    async def _download(self, url: str) -> bytes:
        try:
            fetched = await self._fetcher.fetch(url)
        except FetchError as exc:
            raise MediaError(str(exc)) from exc
        if fetched.status != 200:
            raise MediaError(f"{url} answered HTTP {fetched.status}; nothing was downloaded.")
        return fetched.content

    async def _read(self, path: Path) -> bytes:
        if not self._local_files:
            raise MediaError(
                f"Reading local files is off for callers over HTTP: {path} was not read. Send the file as base64 or "
                "a URL, or have the administrator set ANTIGRAVITY_FILE_ROOTS."
            )
        # The worker thread keeps a reference to what it returned until its next job: handing the
        # bytes over in a list that is emptied here lets a large file go once the request is built.
        box = await anyio.to_thread.run_sync(lambda: [self._read_checked(path)])
        return box.pop()

    def _read_checked(self, path: Path) -> bytes:
        if "\x00" in str(path):
            raise MediaError("The path contains a NUL character, which no file name can; nothing was read.")
        try:
            real = path.expanduser().resolve(strict=True)
        except (FileNotFoundError, RuntimeError):
            raise MediaError(f"{path} does not exist.") from None
        except OSError as exc:
            raise MediaError(f"{path} cannot be read: {exc.strerror}.") from None
        if self._roots and not any(real.is_relative_to(root) for root in self._roots):
            roots = ", ".join(str(r) for r in self._roots)
            raise MediaError(f"{path} is outside the allowed folders ({roots}); it was not read.")
        if not real.is_file():
            raise MediaError(f"{path} is not a file.")
        size = real.stat().st_size
        if size > self.max_bytes:
            raise MediaError(f"{path} is {_human(size)}; the limit is {_human(self.max_bytes)}.")
        try:
            return real.read_bytes()
        except OSError as exc:
            raise MediaError(f"{path} cannot be read: {exc.strerror}.") from None

    # ------------------------------------------------------------------ types

    def _checked_type(self, data: bytes, kind: Kind, label: str) -> str:
        if len(data) > self.max_bytes:
            raise MediaError(f"{label} is {_human(len(data))}; the limit is {_human(self.max_bytes)}.")
        sniffed = sniff(data)
        accepted = IMAGE_TYPES if kind == "image" else AUDIO_TYPES
        if sniffed is None:
            raise MediaError(
                f"{label} is not a recognized {kind} format (its bytes match none); "
                f"supported: {', '.join(accepted)}."
            )
        if sniffed not in accepted:
            actual = (
                "an image"
                if sniffed.startswith("image/")
                else "audio"
                if sniffed.startswith("audio/")
                else sniffed
            )
            extra = f" ({sniffed})" if sniffed.startswith(f"{kind}/") else ""
            raise MediaError(
                f"{label} is {actual}{extra}, which is not a supported {kind} type; "
                f"supported: {', '.join(accepted)}."
            )
        try:
            image_info(data) if kind == "image" else audio_info(data)
        except CorruptMedia as exc:
            raise MediaError(f"{label} is damaged: {exc}.") from None
        return _WIRE_TYPES.get(sniffed, sniffed)


def _looks_like_path(source: str) -> bool:
    return (
        source.startswith(("/", "~", "./", "../", ".\\", "..\\"))
        or bool(re.match(r"^[A-Za-z]:[\\/]", source))
        or (
            "." in source.rsplit("/", 1)[-1]
            and " " not in source
            and len(source) < 512
            and not _BASE64.fullmatch(source)
        )
    )
