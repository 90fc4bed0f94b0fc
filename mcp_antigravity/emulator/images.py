"""Image generation as the emulated image models do it: real PNGs, deterministic in the prompt.

* The size follows ``imageConfig``: ``aspectRatio`` (default ``1:1``) and ``imageSize``
  (default ``1K``; ``2K`` doubles and ``4K`` quadruples each side), from this table of 1K sizes:
  1:1 1024x1024, 2:3 848x1264, 3:2 1264x848, 3:4 896x1200, 4:3 1200x896, 4:5 928x1152,
  5:4 1152x928, 9:16 768x1376, 16:9 1376x768, 21:9 1584x672.
* The picture is a horizontal gradient between two colours taken from a hash of the prompt; with
  ``noisy:`` in the prompt it is noise instead, which does not compress, so the file is as large
  as a real photo-like image of that size (a 1K square: about 3 MB).
* Refusals on triggers in the prompt: ``unsafe:`` → ``IMAGE_SAFETY``, ``prohibited:`` →
  ``IMAGE_PROHIBITED_CONTENT``, ``recitation:`` → ``IMAGE_RECITATION``, ``imageother:`` →
  ``IMAGE_OTHER``, ``noimage:`` → ``NO_IMAGE``; each with a sentence of text and no image.
"""

from __future__ import annotations

import hashlib
import random
import struct
import zlib

SIZES_1K = {
    "1:1": (1024, 1024),
    "2:3": (848, 1264),
    "3:2": (1264, 848),
    "3:4": (896, 1200),
    "4:3": (1200, 896),
    "4:5": (928, 1152),
    "5:4": (1152, 928),
    "9:16": (768, 1376),
    "16:9": (1376, 768),
    "21:9": (1584, 672),
}
SCALE = {"1K": 1, "2K": 2, "4K": 4}
REFUSALS = {
    "unsafe:": "IMAGE_SAFETY",
    "prohibited:": "IMAGE_PROHIBITED_CONTENT",
    "recitation:": "IMAGE_RECITATION",
    "imageother:": "IMAGE_OTHER",
    "noimage:": "NO_IMAGE",
}
REFUSAL_TEXT = {
    "IMAGE_SAFETY": "I can't create that image because it may violate the safety policy.",
    "IMAGE_PROHIBITED_CONTENT": "I can't create images of prohibited content.",
    "IMAGE_RECITATION": "That image would reproduce protected material too closely.",
    "IMAGE_OTHER": "The image could not be created.",
    "NO_IMAGE": "I described the picture instead of drawing it.",
}


def pixel_size(aspect_ratio: str | None, image_size: str | None) -> tuple[int, int]:
    width, height = SIZES_1K[aspect_ratio or "1:1"]
    scale = SCALE[image_size or "1K"]
    return width * scale, height * scale


def refusal(prompt: str) -> str | None:
    return next((reason for trigger, reason in REFUSALS.items() if trigger in prompt.lower()), None)


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png(width: int, height: int, seed: str, *, noisy: bool = False) -> bytes:
    if noisy:
        noise = random.Random(seed).randbytes(width * 3 * height)  # noqa: S311 - pixels, not secrets
        stride = width * 3
        rows = b"".join(b"\x00" + noise[y * stride : (y + 1) * stride] for y in range(height))
        header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(rows, 1))
            + _chunk(b"IEND", b"")
        )
    digest = hashlib.sha256(seed.encode()).digest()
    left, right = digest[:3], digest[3:6]
    row = bytearray(b"\x00")  # filter type 0 for every row
    for x in range(width):
        t = x / max(width - 1, 1)
        row.extend(round(a + (b - a) * t) for a, b in zip(left, right, strict=True))
    pixels = zlib.compress(bytes(row) * height, 6)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", pixels) + _chunk(b"IEND", b"")
