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
