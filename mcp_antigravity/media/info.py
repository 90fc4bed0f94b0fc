"""What media bytes really are: format from magic bytes, image size, audio duration (pure).

Extensions and declared types are never trusted; these readers look at the bytes. A file
that starts like a format but breaks off before its header says what it needs is corrupt.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp", "image/heic", "image/heif")
AUDIO_TYPES = (
    "audio/wav",
    "audio/mpeg",
    "audio/aiff",
    "audio/aac",
    "audio/ogg",
    "audio/flac",
    "audio/mp4",
    "audio/webm",
)


class CorruptMedia(ValueError):
    """The bytes claim a format but their header is broken or cut off."""


def sniff(data: bytes) -> str | None:
    """The MIME type the bytes are, by their magic numbers; ``None`` when unknown."""
    head = data[:64]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"hevc", b"heim", b"heis"):
            return "image/heic"
        if brand in (b"mif1", b"msf1", b"avif"):
            return "image/heif" if brand != b"avif" else "image/avif"
        if brand in (b"M4A ", b"M4B ", b"mp42", b"isom", b"mp41", b"dash"):
            return "audio/mp4"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "audio/aiff"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "audio/webm"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE6 == 0xE2):
        return "audio/mpeg"
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "audio/aac"
    return None


# --------------------------------------------------------------------------- images


@dataclass(frozen=True)
class ImageInfo:
    mime_type: str
    width: int
    height: int


def image_info(data: bytes) -> ImageInfo:
    """Format and pixel size of an image; :class:`CorruptMedia` when the header is broken."""
    kind = sniff(data)
    try:
        if kind == "image/png":
            if data[12:16] != b"IHDR":
                raise CorruptMedia("PNG without an IHDR header")
            width, height = struct.unpack(">II", data[16:24])
        elif kind == "image/jpeg":
            width, height = _jpeg_size(data)
        elif kind == "image/gif":
            width, height = struct.unpack("<HH", data[6:10])
        elif kind == "image/webp":
            width, height = _webp_size(data)
        elif kind in ("image/heic", "image/heif", "image/avif"):
            width, height = _ispe_size(data)
        else:
            raise CorruptMedia("not an image")
    except (struct.error, IndexError):  # the bytes end before the header does
        raise CorruptMedia(f"{kind} data ends inside its header") from None
    if width <= 0 or height <= 0:
        raise CorruptMedia(f"{kind} with an impossible size {width}x{height}")
    return ImageInfo(kind, width, height)


def _jpeg_size(data: bytes) -> tuple[int, int]:
    offset = 2
    while offset + 4 <= len(data):
        if data[offset] != 0xFF:
            raise CorruptMedia("JPEG segment marker expected")
        marker = data[offset + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            offset += 2
            continue
        (length,) = struct.unpack(">H", data[offset + 2 : offset + 4])
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            height, width = struct.unpack(">HH", data[offset + 5 : offset + 9])
            return width, height
        offset += 2 + length
    raise CorruptMedia("JPEG without a frame header")


def _webp_size(data: bytes) -> tuple[int, int]:
    chunk = data[12:16]
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":
        b = data[21:25]
        if len(b) < 4:
            raise struct.error
        return 1 + (((b[1] & 0x3F) << 8) | b[0]), 1 + (
            ((b[3] & 0xF) << 10) | (b[2] << 2) | ((b[1] & 0xC0) >> 6)
        )
    if chunk == b"VP8X":
        w, h = data[24:27], data[27:30]
        if len(h) < 3:
            raise struct.error
        return 1 + int.from_bytes(w, "little"), 1 + int.from_bytes(h, "little")
    raise CorruptMedia("WebP without a VP8 chunk")


def _ispe_size(data: bytes) -> tuple[int, int]:
    at = data.find(b"ispe")
    if at < 0:
        raise CorruptMedia("HEIF without an image size (ispe) box")
    width, height = struct.unpack(">II", data[at + 8 : at + 16])
    return width, height


# --------------------------------------------------------------------------- audio


@dataclass(frozen=True)
class AudioInfo:
    mime_type: str
    duration: float | None
    """Seconds, when the header tells."""
    sample_rate: int | None = None
    channels: int | None = None


def audio_info(data: bytes) -> AudioInfo:
    """Container, duration and sample rate of audio; :class:`CorruptMedia` when the header is broken."""
    kind = sniff(data)
    try:
        if kind == "audio/wav":
            return _wav(data)
        if kind == "audio/flac":
            return _flac(data)
        if kind == "audio/mpeg":
            return _mp3(data)
        if kind == "audio/ogg":
            return _ogg(data)
        if kind is not None and kind.startswith("audio/"):
            return AudioInfo(kind, None)
    except (struct.error, IndexError):  # the bytes end before the header does
        raise CorruptMedia(f"{kind} data ends inside its header") from None
    raise CorruptMedia("not audio")


def _chunks(data: bytes, start: int) -> dict[bytes, tuple[int, int]]:
    found: dict[bytes, tuple[int, int]] = {}
    offset = start
    while offset + 8 <= len(data):
        name = data[offset : offset + 4]
        (size,) = struct.unpack("<I", data[offset + 4 : offset + 8])
        found.setdefault(name, (offset + 8, size))
        offset += 8 + size + (size & 1)
    return found


def _wav(data: bytes) -> AudioInfo:
    chunks = _chunks(data, 12)
    if b"fmt " not in chunks or b"data" not in chunks:
        raise CorruptMedia("WAV without fmt and data chunks")
    start, _ = chunks[b"fmt "]
    _, channels, rate, byte_rate = struct.unpack("<HHII", data[start : start + 12])
    if byte_rate == 0 or rate == 0:
        raise CorruptMedia("WAV with a zero sample rate")
    _, size = chunks[b"data"]
    return AudioInfo("audio/wav", size / byte_rate, rate, channels)


def _flac(data: bytes) -> AudioInfo:
    if data[4] & 0x7F != 0:
        raise CorruptMedia("FLAC without STREAMINFO first")
    info = data[8:26]
    if len(info) < 18:
        raise struct.error
    packed = int.from_bytes(info[10:18], "big")
    rate = packed >> 44
    channels = ((packed >> 41) & 0x7) + 1
    samples = packed & ((1 << 36) - 1)
    if rate == 0:
        raise CorruptMedia("FLAC with a zero sample rate")
    return AudioInfo("audio/flac", samples / rate, rate, channels)


_MP3_BITRATES = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MP3_RATES = (44100, 48000, 32000)


def _mp3(data: bytes) -> AudioInfo:
    offset = 0
    if data.startswith(b"ID3"):
        size = data[6:10]
        if len(size) < 4:
            raise struct.error
        offset = 10 + ((size[0] << 21) | (size[1] << 14) | (size[2] << 7) | size[3])
    header = data[offset : offset + 4]
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        raise CorruptMedia("MP3 without a frame header")
    bitrate_index, rate_index = header[2] >> 4, (header[2] >> 2) & 0x3
    if not 0 < bitrate_index < 15 or rate_index == 3:
        raise CorruptMedia("MP3 frame header with an invalid bitrate or sample rate")
    bitrate = _MP3_BITRATES[bitrate_index] * 1000
    channels = 1 if header[3] >> 6 == 3 else 2
    return AudioInfo("audio/mpeg", (len(data) - offset) * 8 / bitrate, _MP3_RATES[rate_index], channels)


def _ogg(data: bytes) -> AudioInfo:
    first = data[:27]
    if len(first) < 27:
        raise struct.error
    segments = first[26]
    packet = data[27 + segments : 27 + segments + 19]
    if packet.startswith(b"\x01vorbis"):
        channels, rate = packet[11], struct.unpack("<I", packet[12:16])[0]
    elif packet.startswith(b"OpusHead"):
        channels, rate = packet[9], 48000
    else:
        raise CorruptMedia("Ogg stream that is neither Vorbis nor Opus")
    last = data.rfind(b"OggS")
    (granule,) = struct.unpack("<q", data[last + 6 : last + 14])
    if rate == 0:
        raise CorruptMedia("Ogg with a zero sample rate")
    return AudioInfo("audio/ogg", max(granule, 0) / rate, rate, channels)
