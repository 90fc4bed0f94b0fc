"""Where ``image_generate`` keeps the images too large to return inline: each caller's own, by name.

Two implementations of one contract (:class:`ImageStore`): :class:`ImageFolder`, files in the
images folder (the default; a caller on this machine may open them), and the Redis store of a
deployment (:mod:`mcp_antigravity.storage.redis_images`), so any replica serves an image
another one made. A name is a plain file name (``{stem}.{extension}``, see :func:`valid_name`);
no other path is ever read or written through it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import anyio.to_thread

from ..files import caller_folder, write_private

IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp", "gif": "image/gif"}
"""The types ``image_generate`` saves, by extension."""
_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,200}")


def valid_name(name: str) -> bool:
    stem, dot, extension = name.rpartition(".")
    return bool(dot) and extension in IMAGE_TYPES and _STEM.fullmatch(stem) is not None


@dataclass(frozen=True)
class SavedImage:
    name: str
    size: int
    created: float
    path: Path | None = None
    """The file, where the store is a folder on this machine."""

    @property
    def mime_type(self) -> str:
        return IMAGE_TYPES[self.name.rpartition(".")[2]]


class ImageStore(Protocol):
    async def save(self, owner: str | None, name: str, data: bytes) -> SavedImage: ...

    async def read(self, owner: str | None, name: str) -> bytes | None:
        """The image ``owner`` saved as ``name``; ``None`` when there is none (or the name is not valid)."""
        ...

    async def list(self, owner: str | None) -> list[SavedImage]:
        """``owner``'s images, newest first."""
        ...


class ImageFolder:
    """Files in ``root`` (``root/callers/<hash>`` for a caller over HTTP, see :func:`caller_folder`)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    async def save(self, owner: str | None, name: str, data: bytes) -> SavedImage:
        if not valid_name(name):
            raise ValueError(f"not an image name: {name!r}")
        path = await anyio.to_thread.run_sync(write_private, caller_folder(self.root, owner), name, data)
        return SavedImage(name, len(data), path.stat().st_mtime, path)

    async def read(self, owner: str | None, name: str) -> bytes | None:
        if not valid_name(name):
            return None
        path = caller_folder(self.root, owner) / name

        def read() -> bytes | None:
            if path.is_symlink() or not path.is_file():
                return None
            try:
                return path.read_bytes()
            except OSError:
                return None

        return await anyio.to_thread.run_sync(read)

    async def list(self, owner: str | None) -> list[SavedImage]:
        return await anyio.to_thread.run_sync(_listed, caller_folder(self.root, owner))


def _listed(folder: Path) -> list[SavedImage]:
    try:
        entries = [p for p in folder.iterdir() if valid_name(p.name) and not p.is_symlink() and p.is_file()]
    except OSError:
        return []
    saved = []
    for path in entries:
        try:
            info = path.stat()
        except OSError:
            continue
        saved.append(SavedImage(path.name, info.st_size, info.st_mtime, path))
    saved.sort(key=lambda s: s.created, reverse=True)
    return saved
