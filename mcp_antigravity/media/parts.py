"""Loaded media as request parts."""

from __future__ import annotations

from ..antigravity.wire import Blob, Part
from .loader import Media


def media_parts(media: list[Media]) -> list[Part]:
    return [Part(inline_data=Blob(mime_type=m.mime_type, data=m.base64)) for m in media]
