"""Writing files for callers: private, atomic, with safe, unique, descriptive names."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
import unicodedata
from pathlib import Path


def slug(text: str, limit: int = 40) -> str:
    """``"A cat on the Moon!"`` → ``a-cat-on-the-moon``: ASCII letters, digits and dashes only."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    return words[:limit].rstrip("-") or "image"


def output_name(prompt: str, index: int, extension: str, *, now: float | None = None) -> str:
    """``20261121-203512-a-cat-on-the-moon-1a2b3c4d-1.png``: when, what, which, and never the same twice."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    digest = hashlib.sha256(
        f"{prompt}\0{now}\0{index}\0{os.getpid()}\0{time.perf_counter_ns()}".encode()
    ).hexdigest()
    return f"{stamp}-{slug(prompt)}-{digest[:8]}-{index}.{extension}"


def private_directory(folder: Path) -> Path:
    """``folder``, made private: every folder created on the way is 0700 whatever the umask, and the
    folder itself is tightened to 0700 when it exists with wider permissions and belongs to us."""
    missing = []
    for parent in [folder, *folder.parents]:
        if parent.exists():
            break
        missing.append(parent)
    for created in reversed(missing):
        try:
            created.mkdir(mode=0o700)
        except FileExistsError:
            continue  # made meanwhile by another process; tightened below if it is the folder itself
        os.chmod(created, 0o700)  # mkdir's mode is cut by the umask only, never widened; be exact
    _tighten(folder, 0o700)
    return folder


def private_file(path: Path) -> Path:
    """``path``, created empty if missing, readable and writable by us only (0600, tightened if wider)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    _tighten(path, 0o600)
    return path


def _tighten(path: Path, mode: int) -> None:
    info = path.stat()
    if info.st_uid == os.getuid() and info.st_mode & 0o777 & ~mode:
        os.chmod(path, mode)


def write_private(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` as ``folder/name`` (0600, folder 0700), atomically: the file appears whole or not at all."""
    private_directory(folder)
    target = folder / name
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".partial-", suffix="." + name.rsplit(".", 1)[-1])
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target.resolve()


def caller_digest(caller: str) -> str:
    """The name a caller's things are stored under: a hash, never the caller's own text."""
    return hashlib.sha256(caller.encode()).hexdigest()[:24]


def caller_folder(folder: Path, caller: str | None) -> Path:
    """Where the files of ``caller`` live inside ``folder``: ``folder`` itself for the local user
    (``None``), else a subfolder named by :func:`caller_digest`."""
    if caller is None:
        return folder
    return folder / "callers" / caller_digest(caller)
