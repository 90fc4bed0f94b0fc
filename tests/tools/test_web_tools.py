"""web_search and web_reader through a real MCP client, the emulator and a loopback test site."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from mcp_antigravity import build_server
from mcp_antigravity.emulator import Emulator, serve_app

from ..conftest import UA, generations, make_settings, text_of

pytestmark = pytest.mark.anyio
Running = tuple[Emulator, str]

ARTICLE = """<html><head><title>Rivers of Korea</title></head><body>
<nav><a href="/">Home</a> | <a href="/about">About</a></nav>
<article><h1>Rivers of Korea</h1>
<p>The Han River flows through Seoul and has shaped the city for centuries, carrying trade and people.</p>
<p>The Nakdong River is the longest river in South Korea, running through Busan to the southern sea.</p>
<p>See the <a href="https://example.org/more">longer survey</a> for maps and numbers.</p></article>
<footer>Copyright Rivers Inc. Cookie settings.</footer></body></html>"""
KOREAN = (
    "<html><head><title>날씨</title></head><body><article><h1>서울 날씨</h1><p>오늘 서울은 맑고 따뜻합니다. "
    "내일은 비가 올 것으로 예상됩니다. 주말에는 다시 맑은 날씨가 이어질 것입니다.</p></article></body></html>"
)
LONG = (
    "<html><head><title>Long</title></head><body><article>"
    + "".join(f"<p>Paragraph {n}: " + "words " * 40 + "</p>" for n in range(60))
    + "</article></body></html>"
)


def pdf_with_text(text: str) -> bytes:
    """A one-page PDF whose page draws ``text`` (enough for a text extractor)."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def html(body: str, charset: str | None = "utf-8", encoding: str = "utf-8") -> Response:
    media = "text/html" + (f"; charset={charset}" if charset else "")
    return Response(body.encode(encoding), media_type=media)


ROUTES = {
    "/article": lambda r: html(ARTICLE),
    "/report.pdf": lambda r: Response(
        pdf_with_text("Quarterly report: revenue grew nine percent."), media_type="application/pdf"
    ),
    "/euc-kr": lambda r: html(KOREAN, "euc-kr", "euc-kr"),
    "/euc-kr-meta": lambda r: html(KOREAN.replace("<head>", '<head><meta charset="euc-kr">'), None, "euc-kr"),
    "/long": lambda r: html(LONG),
    "/private/secret": lambda r: html(ARTICLE),
    "/forbidden": lambda r: Response("no", status_code=403),
    "/gone": lambda r: Response("gone", status_code=404),
    "/app": lambda r: html("<html><body><div id='root'></div><script src='/app.js'></script></body></html>"),
    "/data.json": lambda r: JSONResponse({"answer": 42}),
    "/notes.txt": lambda r: PlainTextResponse("plain notes"),
    "/photo": lambda r: Response(b"\x89PNG\r\n\x1a\n", media_type="image/png"),
    "/to-private": lambda r: RedirectResponse("http://10.20.30.40/admin"),
    "/robots.txt": lambda r: PlainTextResponse("User-agent: *\nDisallow: /private/\n"),
}


async def dispatch(request: Request) -> Response:
    return ROUTES[request.url.path](request)


SITE = Starlette(routes=[Route(path, dispatch) for path in ROUTES])


@pytest.fixture
async def site() -> AsyncIterator[str]:
    async with serve_app(SITE) as url:
        yield url


@pytest.fixture
async def client(emulator: Running, tmp_path: Path) -> AsyncIterator[Client]:
    _, url = emulator
    settings = make_settings(url, data_dir=tmp_path, fetch_allow=["127.0.0.1:*"])
    async with Client(build_server(settings)) as connected:
        yield connected


async def read(client: Client, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool("web_reader", arguments)
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    return result.structured_content


# ----------------------------------------------------------------------------- web_search


async def test_search_places_citations_on_multibyte_sentences(client: Client, emulator: Running) -> None:
    instance, _ = emulator
    result = await client.call_tool("web_search", {"query": "서울 날씨"})
    assert not result.is_error, text_of(result)
    data = result.structured_content
    assert data is not None
    assert data["answer"] == "서울의 오늘 날씨는 맑고 기온은 21도입니다.[1] Seoul is sunny today at 21°C.[1]"
    assert data["sources"] == [
        {
            "number": 1,
            "title": "weather.example.kr",
            "url": "https://weather.example.kr/seoul",
            "domain": "weather.example.kr",
        }
    ]  # the redirect link was resolved
    assert data["queries"] == ["서울 날씨"] and data["grounded"] is True
    request = instance.requests[-1]["body"]["request"]
    assert request["tools"] == [{"googleSearch": {}}] and "toolConfig" not in request


async def test_search_with_several_sources_per_sentence(client: Client) -> None:
    result = await client.call_tool("web_search", {"query": "mcp rocket 🚀", "resolve_links": False})
    data = result.structured_content
    assert data is not None
    assert data["answer"] == (
        "The Model Context Protocol connects AI applications to tools and data.[1] It was "
        "introduced by Anthropic in November 2024.[1] The rocket 🚀 lifted off at dawn.[1][2] "
        "Its upper stage reached orbit 🛰️ nine minutes later.[2]"
    )
    assert [s["url"].rsplit("/", 2)[-2:] for s in data["sources"]] == [
        ["grounding-api-redirect", "mcp"],
        ["grounding-api-redirect", "rocket"],
    ]
    assert "Sources:\n[1] modelcontextprotocol.io" in text_of(result)


async def test_search_without_grounding_metadata(client: Client) -> None:
    result = await client.call_tool("web_search", {"query": "nogrounding: rocket"})
    data = result.structured_content
    assert data is not None and data["grounded"] is False and data["sources"] == []
    assert "[1]" not in data["answer"] and "reported no sources" in text_of(result)


async def test_search_source_limit(client: Client) -> None:
    result = await client.call_tool("web_search", {"query": "everything please", "max_sources": 1})
    data = result.structured_content
    assert data is not None and len(data["sources"]) == 1
    assert "[2]" not in data["answer"] and "[1]" in data["answer"]


# ----------------------------------------------------------------------------- web_reader, direct


async def test_article_becomes_clean_markdown(client: Client, site: str) -> None:
    data = await read(client, url=f"{site}/article")
    assert data["engine"] == "direct" and data["kind"] == "html" and data["title"] == "Rivers of Korea"
    content = data["content"]
    assert "The Han River flows through Seoul" in content and "Nakdong River" in content
    assert "[longer survey](https://example.org/more)" in content
    assert "Cookie settings" not in content and "About" not in content  # navigation and footer left out
    text = await read(client, url=f"{site}/article", format="text")
    assert "[longer survey]" not in text["content"] and "longer survey" in text["content"]


async def test_pdf_text(client: Client, site: str) -> None:
    data = await read(client, url=f"{site}/report.pdf")
    assert data["kind"] == "pdf" and "Quarterly report: revenue grew nine percent." in data["content"]


@pytest.mark.parametrize("path", ["/euc-kr", "/euc-kr-meta"])
async def test_non_utf8_pages(client: Client, site: str, path: str) -> None:
    data = await read(client, url=f"{site}{path}")
    assert "오늘 서울은 맑고 따뜻합니다." in data["content"]


async def test_long_pages_come_in_parts(client: Client, site: str) -> None:
    first = await read(client, url=f"{site}/long", max_length=1000)
    assert first["truncated"] is True and first["next_start_index"] == 1000 and len(first["content"]) == 1000
    second = await read(client, url=f"{site}/long", max_length=1000, start_index=1000)
    whole = await read(client, url=f"{site}/long", max_length=500_000)
    assert whole["truncated"] is False and "next_start_index" not in whole
    assert first["content"] + second["content"] == whole["content"][:2000]
    result = await client.call_tool("web_reader", {"url": f"{site}/long", "max_length": 1000})
    assert "Call web_reader again with start_index=1000" in text_of(result)


async def test_text_and_json_pass_through(client: Client, site: str) -> None:
    assert (await read(client, url=f"{site}/notes.txt"))["content"] == "plain notes"
    assert (await read(client, url=f"{site}/data.json"))["content"] == '{"answer":42}'


async def test_question_is_answered_from_the_page(client: Client, site: str, emulator: Running) -> None:
    instance, _ = emulator
    data = await read(client, url=f"{site}/article", question="Which river is longest?")
    assert data["engine"] == "direct" and data["answer"] == data["content"]
    prompt = instance.requests[-1]["body"]["request"]["contents"][0]["parts"][0]["text"]
    assert "Question: Which river is longest?" in prompt and "Nakdong River is the longest" in prompt


# ----------------------------------------------------------------------------- fallbacks and refusals


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/private/secret", "robots.txt does not allow mcp-antigravity"),
        ("/forbidden", "HTTP 403"),
        ("/app", "no readable content without running its scripts"),
    ],
)
async def test_blocked_pages_fall_back_to_url_context(
    client: Client, site: str, emulator: Running, path: str, reason: str
) -> None:
    instance, _ = emulator
    data = await read(client, url=f"{site}{path}")
    assert data["engine"] == "url_context" and reason in data["fallback_reason"]
    assert data["retrieval_status"] == "URL_RETRIEVAL_STATUS_SUCCESS"
    assert data["content"].startswith(f"# Page at {site}{path}")
    assert instance.requests[-1]["body"]["request"]["tools"] == [{"urlContext": {}}]


async def test_unreachable_pages_fall_back(client: Client) -> None:
    data = await read(client, url="http://127.0.0.1:9/closed-port")
    assert data["engine"] == "url_context" and "Cannot fetch" in data["fallback_reason"]


@pytest.mark.parametrize(
    ("word", "status"), [("paywall", "PAYWALL"), ("unsafe", "UNSAFE"), ("error", "ERROR")]
)
async def test_url_context_failures_are_reported(client: Client, site: str, word: str, status: str) -> None:
    result = await client.call_tool("web_reader", {"url": f"{site}/forbidden?{word}=1"})
    assert result.is_error
    assert f"URL_RETRIEVAL_STATUS_{status}" in text_of(result) and "HTTP 403" in text_of(result)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[::1]:9/",
        "http://localhost:9/",
    ],
)
async def test_internal_targets_are_refused_not_delegated(
    emulator: Running, tmp_path: Path, url: str
) -> None:
    instance, upstream = emulator
    async with Client(build_server(make_settings(upstream, data_dir=tmp_path))) as client:
        result = await client.call_tool("web_reader", {"url": url})
    assert result.is_error and "Refused to fetch" in text_of(result)
    assert generations(instance) == []  # not handed to the model either


async def test_redirect_into_a_private_range_is_refused(client: Client, site: str, emulator: Running) -> None:
    instance, _ = emulator
    result = await client.call_tool("web_reader", {"url": f"{site}/to-private"})
    assert result.is_error and "Refused to fetch http://10.20.30.40/admin" in text_of(result)
    assert generations(instance) == []


@pytest.mark.parametrize(
    ("path", "message"),
    [("/gone", "does not exist (HTTP 404)"), ("/photo", "image/png is not a web page, PDF or text")],
)
async def test_missing_and_unsupported_content(client: Client, site: str, path: str, message: str) -> None:
    result = await client.call_tool("web_reader", {"url": f"{site}{path}"})
    assert result.is_error and message in text_of(result)


async def test_robots_can_be_ignored_by_configuration(emulator: Running, site: str, tmp_path: Path) -> None:
    _, upstream = emulator
    settings = make_settings(upstream, data_dir=tmp_path, fetch_allow=["127.0.0.1:*"], respect_robots=False)
    async with Client(build_server(settings)) as client:
        result = await client.call_tool("web_reader", {"url": f"{site}/private/secret"})
    assert result.structured_content is not None and result.structured_content["engine"] == "direct"


async def test_emulator_url_context_limit_and_redirects(emulator: Running, http: httpx2.AsyncClient) -> None:
    _, url = emulator
    headers = {"Authorization": "Bearer test-token", "User-Agent": UA}
    prompt = " ".join(f"https://example.org/{n}" for n in range(21))
    body = {
        "project": "test-project",
        "model": "gemini-3-flash",
        "request": {
            "contents": [{"role": "user", "parts": [{"text": prompt}]}],
            "tools": [{"urlContext": {}}],
        },
    }
    response = await http.post(f"{url}/v1internal:generateContent", json=body, headers=headers)
    assert response.status_code == 400 and "exceeds the limit of 20" in response.json()["error"]["message"]
    redirect = await http.get(f"{url}/grounding-api-redirect/rocket")
    assert redirect.status_code == 302 and redirect.headers["location"] == "https://space.example/launch"


async def test_serve_emulator_resolves_its_own_search_links(tmp_path: Path) -> None:
    import os
    import sys

    from mcp import StdioServerParameters

    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTIGRAVITY_")}
    env.update(XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "mcp_antigravity", "serve", "--emulator"], env=env
    )
    async with Client(params) as client:
        result = await client.call_tool("web_search", {"query": "서울 날씨"})
    assert not result.is_error, text_of(result)
    data = result.structured_content
    assert data is not None and [s["url"] for s in data["sources"]] == ["https://weather.example.kr/seoul"]
