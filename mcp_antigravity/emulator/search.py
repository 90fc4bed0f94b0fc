"""Google Search grounding and URL context, as the emulated models do them (deterministic).

**googleSearch.** A small built-in corpus; a document is used when a word of the query (the
last user text) is one of its keywords, and every document is used when none matches. The
answer is the used documents' sentences, in corpus order. ``groundingMetadata`` carries:

* ``webSearchQueries``: the query;
* ``groundingChunks``: one per used document, ``web.uri`` a redirect link
  ``<emulator>/grounding-api-redirect/<id>`` (302 to the real page, like the upstream's
  expiring links) and ``web.title`` the bare domain, as the upstream often gives;
* ``groundingSupports``: one per sentence, with UTF-8 BYTE offsets (end exclusive); a zero
  ``startIndex`` or ``partIndex`` is left out, as proto3 does; the first sentence of every
  document after the first also cites the first document (several chunks per segment);
* ``searchEntryPoint.renderedContent``.

The trigger ``nogrounding:`` in the query drops ``groundingMetadata`` (the search still ran).

**urlContext.** URLs in the last user text are "retrieved"; a URL containing ``paywall``,
``unsafe`` or ``error`` gets that status. The answer quotes a deterministic summary of each
retrieved page; ``urlContextMetadata.urlMetadata`` lists every URL with its status. More than
20 URLs is a 400.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .rpc import bad_request


@dataclass(frozen=True)
class Document:
    id: str
    domain: str
    target: str
    keywords: frozenset[str]
    sentences: tuple[str, ...]


CORPUS = (
    Document(
        "mcp",
        "modelcontextprotocol.io",
        "https://modelcontextprotocol.io/introduction",
        frozenset({"mcp", "protocol", "model", "context"}),
        (
            "The Model Context Protocol connects AI applications to tools and data.",
            "It was introduced by Anthropic in November 2024.",
        ),
    ),
    Document(
        "seoul",
        "weather.example.kr",
        "https://weather.example.kr/seoul",
        frozenset({"seoul", "서울", "weather", "날씨"}),
        ("서울의 오늘 날씨는 맑고 기온은 21도입니다.", "Seoul is sunny today at 21°C."),
    ),
    Document(
        "rocket",
        "space.example",
        "https://space.example/launch",
        frozenset({"rocket", "launch", "space", "🚀"}),
        ("The rocket 🚀 lifted off at dawn.", "Its upper stage reached orbit 🛰️ nine minutes later."),
    ),
)
BY_ID = {d.id: d for d in CORPUS}
URL_STATUS = (
    ("paywall", "URL_RETRIEVAL_STATUS_PAYWALL"),
    ("unsafe", "URL_RETRIEVAL_STATUS_UNSAFE"),
    ("error", "URL_RETRIEVAL_STATUS_ERROR"),
)
_URL = re.compile(r"https?://[^\s<>\"')\]]+")
MAX_URLS = 20


def uses(request: dict[str, Any], tool: str) -> bool:
    return any(tool in t for t in request.get("tools", []))


def search(query: str, redirect_base: str) -> tuple[str, dict[str, Any] | None]:
    """The answer text and its groundingMetadata (``None`` on the ``nogrounding:`` trigger)."""
    words = {w.strip(".,?!").lower() for w in query.split()}
    chosen = [d for d in CORPUS if d.keywords & words] or list(CORPUS)
    answer, supports = "", []
    for index, document in enumerate(chosen):
        for number, sentence in enumerate(document.sentences):
            if answer:
                answer += " "
            start = len(answer.encode("utf-8"))
            answer += sentence
            segment: dict[str, Any] = {"endIndex": len(answer.encode("utf-8")), "text": sentence}
            if start:
                segment["startIndex"] = start
            cited = [index] + ([0] if index and number == 0 else [])
            supports.append(
                {"segment": segment, "groundingChunkIndices": cited, "confidenceScores": [0.9] * len(cited)}
            )
    if "nogrounding:" in query.lower():
        return answer, None
    metadata = {
        "webSearchQueries": [query],
        "groundingChunks": [
            {"web": {"uri": f"{redirect_base}/grounding-api-redirect/{d.id}", "title": d.domain}}
            for d in chosen
        ],
        "groundingSupports": supports,
        "searchEntryPoint": {"renderedContent": f'<div class="search-entry">{query}</div>'},
    }
    return answer, metadata


def read_urls(text: str) -> tuple[str, dict[str, Any]]:
    """The answer from the pages named in ``text``, and its urlContextMetadata."""
    urls = list(dict.fromkeys(_URL.findall(text)))
    if len(urls) > MAX_URLS:
        raise bad_request(
            f"Number of URLs ({len(urls)}) exceeds the limit of {MAX_URLS} for the url_context tool."
        )
    statuses = [
        next((status for word, status in URL_STATUS if word in url.lower()), "URL_RETRIEVAL_STATUS_SUCCESS")
        for url in urls
    ]
    lines = []
    for url, status in zip(urls, statuses, strict=True):
        if status == "URL_RETRIEVAL_STATUS_SUCCESS":
            topic = " ".join(re.split(r"[/\-_.]+", url.split("://", 1)[1].rstrip("/"))[1:]) or "the home page"
            lines.append(f"# Page at {url}\n\nThis page is about {topic}.")
        else:
            lines.append(f"I could not read {url} ({status.rsplit('_', 1)[1].lower()}).")
    answer = "\n\n".join(lines) or "There was no URL to read."
    return answer, {
        "urlMetadata": [
            {"retrievedUrl": url, "urlRetrievalStatus": status}
            for url, status in zip(urls, statuses, strict=True)
        ]
    }
