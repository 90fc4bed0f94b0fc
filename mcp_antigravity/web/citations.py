"""Citation markers placed exactly where the upstream's grounding supports say (pure).

The upstream gives each supported segment as UTF-8 BYTE offsets into the text of one part
(``partIndex``), end exclusive, with ``startIndex`` and ``partIndex`` left out when zero. A
marker ``[n]`` (or ``[1][3]`` for a segment several sources support) goes right after the
segment's last byte. Markers are inserted into the bytes from the end backwards, so the offsets
of the ones still to place do not move; an offset that falls inside a multi-byte character is
moved forward to the character's end, so the text always stays valid UTF-8.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..antigravity.wire import GroundingMetadata


@dataclass(frozen=True)
class Source:
    number: int
    title: str
    url: str
    domain: str


def _char_boundary(data: bytes, offset: int) -> int:
    offset = max(0, min(offset, len(data)))
    while offset < len(data) and data[offset] & 0xC0 == 0x80:  # inside a multi-byte character
        offset += 1
    return offset


def place_markers(texts: Sequence[str], metadata: GroundingMetadata, numbers: Mapping[int, int]) -> list[str]:
    """``texts`` (one per part) with ``[n]`` markers; ``numbers`` maps chunk index → source number."""
    markers: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    for support in metadata.grounding_supports:
        cited = {numbers[i] for i in support.grounding_chunk_indices if i in numbers}
        if cited and 0 <= support.segment.part_index < len(texts):
            markers[support.segment.part_index][support.segment.end_index] |= cited
    placed = []
    for index, text in enumerate(texts):
        data = text.encode("utf-8")
        for end in sorted(markers.get(index, {}), reverse=True):
            at = _char_boundary(data, end)
            label = "".join(f"[{n}]" for n in sorted(markers[index][end]))
            data = data[:at] + label.encode() + data[at:]
        placed.append(data.decode("utf-8"))
    return placed


def domain_of(title: str | None, url: str) -> str:
    """The site's domain: the title when the upstream gave only that, else the URL's host."""
    if title and "." in title and " " not in title and "/" not in title:
        return title.lower()
    return (urlsplit(url).hostname or "").removeprefix("www.")


def sources_of(
    metadata: GroundingMetadata, resolved: Mapping[str, str], limit: int | None
) -> tuple[list[Source], dict[int, int]]:
    """The numbered sources (duplicates merged) and the chunk index → number map for the markers."""
    sources: list[Source] = []
    numbers: dict[int, int] = {}
    by_url: dict[str, int] = {}
    for index, chunk in enumerate(metadata.grounding_chunks):
        if chunk.web is None or not chunk.web.uri:
            continue
        url = resolved.get(chunk.web.uri, chunk.web.uri)
        if url not in by_url:
            if limit is not None and len(sources) >= limit:
                continue
            by_url[url] = len(sources) + 1
            sources.append(
                Source(
                    by_url[url], chunk.web.title or domain_of(None, url), url, domain_of(chunk.web.title, url)
                )
            )
        numbers[index] = by_url[url]
    return sources, numbers
