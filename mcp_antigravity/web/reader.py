"""Turning fetched bytes into readable text: HTML main content, PDF text, plain text (pure).

* HTML: the main content (navigation, footers, boilerplate removed) as Markdown or plain text,
  by trafilatura; the title from the page's ``<title>``. A page whose content is only script (a
  JavaScript application) extracts to nothing, which tells the caller to ask the model instead.
* PDF: the text of every page, by pypdf.
* ``text/*``, JSON, XML: decoded and passed through.
* Text is decoded with the charset the server declared, else the one the page declares, else
  a detected one (charset-normalizer).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from html import unescape
from typing import Literal

# trafilatura, pypdf and charset-normalizer are imported when a page first needs them: together
# they are a third of a second of the server's start-up otherwise.

Format = Literal["markdown", "text"]
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.IGNORECASE)
_FIGURE = re.compile(r"<(/?)figure\b", re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


class UnreadableContent(ValueError):
    """The bytes are not a kind of document this reader handles."""


@dataclass(frozen=True)
class Page:
    content: str
    title: str | None
    kind: str
    """html, pdf or text."""


def media_type(content_type: str) -> tuple[str, str | None]:
    """``text/html; charset=EUC-KR`` → (``text/html``, ``euc-kr``)."""
    kind, _, rest = content_type.partition(";")
    charset = re.search(r"charset\s*=\s*\"?([\w-]+)", rest, re.IGNORECASE)
    return kind.strip().lower(), charset.group(1).lower() if charset else None


def decode(data: bytes, declared: str | None) -> str:
    for name in (declared, _meta_charset(data)):
        if name:
            try:
                return data.decode(name)
            except (LookupError, UnicodeDecodeError):
                continue
    import charset_normalizer

    best = charset_normalizer.from_bytes(data).best()
    return str(best) if best is not None else data.decode("utf-8", errors="replace")


def _meta_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii", "ignore") if match else None


def read(data: bytes, content_type: str, fmt: Format) -> Page:
    kind, charset = media_type(content_type)
    if kind == "application/pdf" or data.startswith(b"%PDF-"):
        return Page(_pdf_text(data), None, "pdf")
    if kind in ("text/html", "application/xhtml+xml") or (not kind and b"<html" in data[:1024].lower()):
        html = decode(data, charset)
        return Page(_html(html, fmt), _title(html), "html")
    if kind.startswith("text/") or kind in ("application/json", "application/xml") or kind.endswith("+json"):
        return Page(decode(data, charset), None, "text")
    raise UnreadableContent(f"{kind or 'this content'} is not a web page, PDF or text")


def _html(html: str, fmt: Format) -> str:
    import trafilatura

    extracted = trafilatura.extract(
        _FIGURE.sub(r"<\1div", html),  # trafilatura drops what a <figure> holds, code blocks included
        output_format="markdown" if fmt == "markdown" else "txt",
        include_links=fmt == "markdown",
        include_formatting=fmt == "markdown",
        include_tables=True,
        favor_recall=True,
    )
    return (extracted or "").strip()


def _title(html: str) -> str | None:
    """The page's own ``<title>`` (not the site's name, which the metadata often has instead),
    read without parsing the page a second time."""
    match = _TITLE.search(html, 0, 200_000)
    if match is None:
        return None
    title = unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match.group(1)))).strip()
    return title or None


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise UnreadableContent(f"the PDF cannot be read ({exc})") from exc
    return "\n\n".join(p.strip() for p in pages if p.strip())
