"""``web.reader``: bytes to readable text (pure)."""

from __future__ import annotations

from mcp_antigravity.web.reader import read

PAGE = (
    b"<html><head><title>Getting &amp; keeping   <b>sessions</b></title>"
    b'<meta property="og:site_name" content="Example Docs"><meta property="og:title" content="Example Docs">'
    b"</head><body><article><h1>Sessions</h1><p>"
    + b"A session keeps its history across restarts. " * 20
    + b"</p></article></body></html>"
)


def test_the_title_is_the_pages_own_not_the_sites() -> None:
    page = read(PAGE, "text/html; charset=utf-8", "markdown")
    assert page.title == "Getting & keeping sessions"
    assert page.kind == "html" and "history across restarts" in page.content


def test_a_page_without_a_title_has_none() -> None:
    assert (
        read(b"<html><body><p>" + b"words " * 50 + b"</p></body></html>", "text/html", "text").title is None
    )
