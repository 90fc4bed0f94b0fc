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


def test_a_documentation_page_keeps_every_code_block() -> None:
    wrappers = [
        "<pre><code>{}</code></pre>",
        '<div class="highlight"><pre><span></span>{}</pre></div>',
        '<div class="highlight-python notranslate"><div class="highlight"><pre>{}</pre></div></div>',
        '<pre class="language-python"><code class="language-python">{}</code></pre>',
        "<figure><pre><code>{}</code></pre></figure>",
    ]
    sections = "".join(
        f"<h2>Step {i}</h2><p>What step {i} does, in a sentence or two.</p>"
        + wrappers[i % 5].format(f"def f{i}(x):\n    return x + {i}\n")
        for i in range(25)
    )
    html = f"<html><head><title>Guide</title></head><body><nav>menu</nav><main><article><h1>Guide</h1>{sections}</article></main></body></html>"
    page = read(html.encode(), "text/html", "markdown")
    assert [i for i in range(25) if f"return x + {i}" not in page.content] == []
