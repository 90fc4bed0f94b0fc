"""Loaded media as request parts."""

from __future__ import annotations

import base64

from ..antigravity.wire import Blob, Part
from .loader import Media, MediaNote


def media_parts(media: list[Media]) -> tuple[list[Part], list[MediaNote]]:
    """The parts for ``media``, and what the result may say about each.

    Consumes ``media`` (the list is emptied): each file's raw bytes go as soon as its base64
    exists as bytes, before the text the request carries is made, so a large file is never
    held three times at once (raw, base64 bytes, base64 text)."""
    parts: list[Part] = []
    notes: list[MediaNote] = []
    while media:
        item = media.pop(0)
        notes.append(item.note())
        mime_type, text = item.mime_type, item.encoded
        if text is None:
            encoded = base64.b64encode(item.data)
            del item  # the last reference to the raw bytes
            text = encoded.decode("ascii")
            del encoded
        parts.append(Part(inline_data=Blob(mime_type=mime_type, data=text)))
    return parts, notes
