"""Writing files for callers: private, atomic, with safe, unique, descriptive names."""

from __future__ import annotations

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


def write_private(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` as ``folder/name`` (0600, folder 0700), atomically: the file appears whole or not at all."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
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
