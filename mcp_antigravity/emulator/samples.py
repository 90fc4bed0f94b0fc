"""Small, valid media for trying the tools offline (the demo, tests): no files needed."""

from __future__ import annotations

import base64
import io
import wave

from .images import png


def sample_png(width: int = 64, height: int = 48, seed: str = "sample") -> bytes:
    return png(width, height, seed)


def sample_wav(seconds: float = 3.0, rate: int = 16000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x00" * int(seconds * rate))
    return buffer.getvalue()


def data_uri(data: bytes, mime_type: str) -> str:
    return f"data:{mime_type};base64,{base64.b64encode(data).decode()}"


def sample_flac(seconds: float = 2.0, rate: int = 44100, channels: int = 2) -> bytes:
    """A FLAC stream header whose STREAMINFO says ``seconds`` of audio (no frames: enough for parsers)."""
    samples = int(seconds * rate)
    packed = (rate << 44) | ((channels - 1) << 41) | ((16 - 1) << 36) | samples
    info = (4096).to_bytes(2, "big") * 2 + b"\x00\x00\x00" * 2 + packed.to_bytes(8, "big") + b"\x00" * 16
    return b"fLaC" + bytes([0x80]) + len(info).to_bytes(3, "big") + info


def sample_mp3(seconds: float = 2.0) -> bytes:
    """MPEG-1 layer III frames at 128 kbps, 44.1 kHz, filled with silence."""
    frame = b"\xff\xfb\x90\x64" + b"\x00" * 413  # 417 bytes per frame at these settings
    frames = round(seconds * 128000 / 8 / len(frame))
    return b"ID3\x03\x00\x00\x00\x00\x00\x00" + frame * frames


def _ogg_page(granule: int, sequence: int, payload: bytes, header_type: int) -> bytes:
    return (
        b"OggS\x00"
        + bytes([header_type])
        + granule.to_bytes(8, "little", signed=True)
        + b"\x01\x00\x00\x00"
        + sequence.to_bytes(4, "little")
        + b"\x00\x00\x00\x00"
        + bytes([1, len(payload)])
        + payload
    )


def sample_ogg(seconds: float = 2.0, rate: int = 48000, channels: int = 1) -> bytes:
    """An Ogg Vorbis stream: identification header, then a last page whose granule says ``seconds``."""
    ident = (
        b"\x01vorbis"
        + (0).to_bytes(4, "little")
        + bytes([channels])
        + rate.to_bytes(4, "little")
        + b"\x00" * 13
    )
    return _ogg_page(0, 0, ident, 2) + _ogg_page(int(seconds * rate), 1, b"\x00" * 16, 4)
