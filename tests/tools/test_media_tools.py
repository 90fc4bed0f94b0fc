"""vision, image_generate and transcribe through a real MCP client against the emulator."""

from __future__ import annotations

import base64
import json
import os
import stat
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import BlobResourceContents, ImageContent, ResourceLink
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mcp_antigravity import build_server
from mcp_antigravity.emulator import Emulator, serve_app
from mcp_antigravity.emulator.images import SIZES_1K
from mcp_antigravity.emulator.samples import (
    data_uri,
    sample_flac,
    sample_mp3,
    sample_ogg,
    sample_png,
    sample_wav,
)
from mcp_antigravity.media.info import image_info
from mcp_antigravity.server.runtime import Runtime

from ..conftest import UA, generations, make_settings, text_of

pytestmark = pytest.mark.anyio
Running = tuple[Emulator, str]


async def media_site(request: Request) -> Response:
    return Response(sample_png(321, 123), media_type="image/png")


@pytest.fixture
async def site() -> AsyncIterator[str]:
    async with serve_app(Starlette(routes=[Route("/photo.png", media_site)])) as url:
        yield url


@pytest.fixture
def settings_kwargs(tmp_path: Path) -> dict[str, Any]:
    return {"data_dir": tmp_path / "data", "output_dir": tmp_path / "images", "fetch_allow": ["127.0.0.1:*"]}


@pytest.fixture
async def client(emulator: Running, settings_kwargs: dict[str, Any]) -> AsyncIterator[Client]:
    _, url = emulator
    async with Client(build_server(make_settings(url, **settings_kwargs))) as connected:
        yield connected


# ----------------------------------------------------------------------------- vision


async def test_vision_with_every_input_form(
    client: Client, site: str, tmp_path: Path, emulator: Running
) -> None:
    instance, _ = emulator
    path = tmp_path / "photo.webp"  # the extension lies; the bytes are PNG
    path.write_bytes(sample_png(10, 20))
    images = [
        str(path),
        path.as_uri(),
        f"{site}/photo.png",
        data_uri(sample_png(30, 40), "image/png"),
        base64.b64encode(sample_png(50, 60)).decode(),
    ]
    result = await client.call_tool(
        "vision", {"prompt": "Describe", "images": images, "media_resolution": "high"}
    )
    assert not result.is_error, text_of(result)
    assert text_of(result) == (
        "Echo: Describe [image 1: png 10x20; image 2: png 10x20; image 3: png 321x123; "
        "image 4: png 30x40; image 5: png 50x60]"
    )  # the bytes arrived intact
    data = result.structured_content
    assert data is not None and [i["mime_type"] for i in data["images"]] == ["image/png"] * 5
    request = instance.requests[-1]["body"]["request"]
    assert request["generationConfig"] == {"mediaResolution": "MEDIA_RESOLUTION_HIGH"}
    assert request["contents"][0]["parts"][-1] == {"text": "Describe"}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"prompt": "x"}, "Give an image"),
        ({"prompt": "x", "images": [data_uri(sample_png(), "image/png")] * 9}, "at most 8 per call"),
        ({"prompt": "x", "image": data_uri(sample_wav(), "audio/wav")}, "image: data URI is audio"),
        (
            {"prompt": "x", "images": [data_uri(sample_png(), "image/png"), "http://169.254.169.254/x.png"]},
            "image 2: Refused to fetch http://169.254.169.254/x.png",
        ),
        ({"prompt": "x", "image": "/definitely/not/here.png"}, "does not exist"),
    ],
)
async def test_vision_refusals_explain_themselves(
    client: Client, emulator: Running, arguments: dict[str, Any], message: str
) -> None:
    instance, _ = emulator
    result = await client.call_tool("vision", arguments)
    assert result.is_error and message in text_of(result)
    assert generations(instance) == []


async def test_emulator_refuses_media_it_cannot_take(emulator: Running, http: httpx2.AsyncClient) -> None:
    _, url = emulator
    headers = {"Authorization": "Bearer test-token", "User-Agent": UA}
    for mime_type, data, message in [
        ("image/gif", b"GIF89a\x01\x00\x01\x00", "Unsupported MIME type: image/gif"),
        ("image/png", b"\x89PNG\r\n\x1a\nbroken", "Unable to process input image"),
    ]:
        body = {
            "project": "test-project",
            "model": "gemini-3-flash",
            "request": {
                "contents": [
                    {
                        "role": "user",
                        "parts": [
                            {"inlineData": {"mimeType": mime_type, "data": base64.b64encode(data).decode()}},
                            {"text": "x"},
                        ],
                    }
                ]
            },
        }
        response = await http.post(f"{url}/v1internal:generateContent", json=body, headers=headers)
        assert response.status_code == 400 and message in response.json()["error"]["message"]


# ----------------------------------------------------------------------------- image_generate


@pytest.mark.parametrize("ratio", list(SIZES_1K))
async def test_every_aspect_ratio_has_its_exact_size(client: Client, ratio: str) -> None:
    result = await client.call_tool("image_generate", {"prompt": "a fox", "aspect_ratio": ratio})
    assert not result.is_error, text_of(result)
    [image] = [c for c in result.content if isinstance(c, ImageContent)]
    info = image_info(base64.b64decode(image.data))
    assert (info.width, info.height) == SIZES_1K[ratio]
    data = result.structured_content
    assert (
        data is not None
        and data["images"][0]["width"] == SIZES_1K[ratio][0]
        and data["saved_to_files"] is False
    )


@pytest.mark.parametrize(
    ("arguments", "ratio", "size", "pixels"),
    [
        ({"size": "1024x1792"}, "9:16", "2K", (1536, 2752)),
        ({"size": "1920x1080", "image_size": "1K"}, "16:9", "1K", (1376, 768)),
        ({"quality": "hd", "aspect_ratio": "4:3"}, "4:3", "2K", (2400, 1792)),
        ({"image_size": "4K"}, "1:1", "4K", (4096, 4096)),
    ],
)
async def test_size_and_quality_map_to_the_upstream(
    client: Client,
    emulator: Running,
    arguments: dict[str, Any],
    ratio: str,
    size: str,
    pixels: tuple[int, int],
) -> None:
    instance, _ = emulator
    result = await client.call_tool("image_generate", {"prompt": "mountains", **arguments})
    assert not result.is_error, text_of(result)
    config = instance.requests[-1]["body"]["request"]["generationConfig"]
    assert config == {
        "responseModalities": ["TEXT", "IMAGE"],
        "imageConfig": {"aspectRatio": ratio, "imageSize": size},
    }
    assert instance.requests[-1]["body"]["requestType"] == "image_gen"
    image = result.structured_content["images"][0]  # type: ignore[index]
    assert (image["width"], image["height"]) == pixels


async def test_large_results_are_saved_and_linked(emulator: Running, settings_kwargs: dict[str, Any]) -> None:
    instance, url = emulator
    settings = make_settings(url, **{**settings_kwargs, "inline_result_limit": 10_000})
    async with Client(build_server(settings)) as client:
        result = await client.call_tool(
            "image_generate", {"prompt": "A café at night!", "n": 3, "aspect_ratio": "3:2"}
        )
        links = [c for c in result.content if isinstance(c, ResourceLink)]
        read = [await client.read_resource(link.uri) for link in links]
        listed = json.loads((await client.read_resource("antigravity://images")).contents[0].text)  # type: ignore[union-attr]
    assert not result.is_error, text_of(result)
    assert len(links) == 3 and not [c for c in result.content if isinstance(c, ImageContent)]
    data = result.structured_content
    assert data is not None and data["saved_to_files"] is True
    for link, image in zip(links, data["images"], strict=True):
        path = Path(image["path"])
        assert path.is_absolute() and path.parent == settings_kwargs["output_dir"].resolve()
        assert (
            link.uri == image["uri"] == f"antigravity://images/{path.name}" and link.mime_type == "image/png"
        )
        assert path.name.endswith(".png") and "-a-cafe-at-night-" in path.name
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert image_info(path.read_bytes()).width == SIZES_1K["3:2"][0]
        assert str(path) in text_of(result)
    assert len({link.uri for link in links}) == 3
    for contents, image in zip(read, data["images"], strict=True):  # the same bytes through resources/read
        [blob] = contents.contents
        assert isinstance(blob, BlobResourceContents) and blob.mime_type == "image/png"
        assert base64.b64decode(blob.blob) == Path(image["path"]).read_bytes()
    assert sorted(i["uri"] for i in listed["images"]) == sorted(link.uri for link in links)
    assert len([r for r in instance.requests if r["method"] == "streamGenerateContent"]) == 3
    assert not list(settings_kwargs["output_dir"].glob(".partial-*"))


async def test_reference_images_are_sent_for_editing(client: Client, emulator: Running) -> None:
    instance, _ = emulator
    result = await client.call_tool(
        "image_generate", {"prompt": "make it blue", "images": [data_uri(sample_png(8, 8), "image/png")]}
    )
    assert "edited from 1 reference image(s)" in text_of(result)
    parts = instance.requests[-1]["body"]["request"]["contents"][0]["parts"]
    assert parts[0]["inlineData"]["mimeType"] == "image/png" and parts[-1] == {"text": "make it blue"}


@pytest.mark.parametrize(
    ("trigger", "reason"),
    [
        ("unsafe:", "IMAGE_SAFETY"),
        ("prohibited:", "IMAGE_PROHIBITED_CONTENT"),
        ("recitation:", "IMAGE_RECITATION"),
        ("imageother:", "IMAGE_OTHER"),
        ("noimage:", "NO_IMAGE"),
    ],
)
async def test_image_refusals_carry_the_reason_and_the_models_words(
    client: Client, trigger: str, reason: str
) -> None:
    result = await client.call_tool("image_generate", {"prompt": f"{trigger} something"})
    assert result.is_error
    assert f"stopped with {reason}" in text_of(result) and "The model said:" in text_of(result)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"aspect_ratio": "1:1", "size": "10x10"}, "not both"),
        ({"image_size": "1K", "quality": "hd"}, "not both"),
        ({"size": "big"}, "is not WIDTHxHEIGHT"),
        ({"n": 5}, "argument `n` must be between 1 and 4 (got 5)"),
    ],
)
async def test_image_arguments_are_checked(client: Client, arguments: dict[str, Any], message: str) -> None:
    result = await client.call_tool("image_generate", {"prompt": "x", **arguments})
    assert result.is_error and message in text_of(result)


# ----------------------------------------------------------------------------- transcribe


@pytest.mark.parametrize(
    ("audio", "expected"),
    [
        (sample_wav(3.0), "Transcript of 3.0 s of WAV audio at 16000 Hz."),
        (sample_flac(12.0), "Transcript of 12.0 s of FLAC audio at 44100 Hz."),
        (sample_mp3(2.0), "Transcript of 2.0 s of MPEG audio at 44100 Hz."),
        (sample_ogg(6.5), "Transcript of 6.5 s of OGG audio at 48000 Hz."),
    ],
)
async def test_transcribe_each_container(
    client: Client, emulator: Running, audio: bytes, expected: str
) -> None:
    instance, _ = emulator
    result = await client.call_tool(
        "transcribe", {"audio": data_uri(audio, "audio/wav"), "language": "en", "prompt": "names: Ada, Linus"}
    )
    assert not result.is_error, text_of(result)
    assert text_of(result) == expected
    ask = instance.requests[-1]["body"]["request"]["contents"][0]["parts"][-1]["text"]
    assert "The speech is in en." in ask and "Context and vocabulary: names: Ada, Linus" in ask


async def test_segments_cover_the_real_duration(client: Client, tmp_path: Path) -> None:
    path = tmp_path / "talk.flac"
    path.write_bytes(sample_flac(12.0))
    result = await client.call_tool("transcribe", {"audio": str(path), "timestamps": True, "speakers": True})
    assert not result.is_error, text_of(result)
    segments = result.structured_content["segments"]  # type: ignore[index]
    assert [(s["start"], s["end"], s["speaker"]) for s in segments] == [
        (0.0, 5.0, "Speaker 1"),
        (5.0, 10.0, "Speaker 2"),
        (10.0, 12.0, "Speaker 1"),
    ]
    assert text_of(result).splitlines()[0] == "[0.0-5.0] Speaker 1: Segment 1 of 3."


async def test_oversize_audio_says_the_limit_and_what_to_do(client: Client) -> None:
    big = sample_wav(seconds=500.0)  # 16 MB of WAV: over the request budget once base64 encoded
    result = await client.call_tool("transcribe", {"audio": data_uri(big, "audio/wav")})
    assert result.is_error
    assert "the upstream takes at most 20.0 MB" in text_of(result) and "Split the recording" in text_of(
        result
    )


async def test_http_callers_cannot_read_local_files(emulator: Running, tmp_path: Path) -> None:
    _, url = emulator
    (tmp_path / "a.wav").write_bytes(sample_wav(1))
    runtime = Runtime(make_settings(url, data_dir=tmp_path / "d"), remote=True)
    async with Client(build_server(runtime.settings, runtime)) as client:
        result = await client.call_tool("transcribe", {"audio": str(tmp_path / "a.wav")})
    assert result.is_error and "Reading local files is off for callers over HTTP" in text_of(result)


async def test_a_large_image_is_read_by_a_remote_caller_through_the_resource(tmp_path: Path) -> None:
    from .test_chat import start_server

    servers = start_server("streamable-http", tmp_path, ANTIGRAVITY_HTTP_TOKEN="let-me-in-please-0123")
    endpoint = next(servers)
    try:
        async with (
            httpx2.AsyncClient(headers={"Authorization": "Bearer let-me-in-please-0123"}, timeout=60) as http,
            Client(streamable_http_client(endpoint, http_client=http)) as client,
        ):
            result = await client.call_tool("image_generate", {"prompt": "noisy: a photo of the sea"})
            [link] = [c for c in result.content if isinstance(c, ResourceLink)]
            [blob] = (await client.read_resource(link.uri)).contents
    finally:
        servers.close()
    assert not result.is_error, text_of(result)
    assert link.uri.startswith("antigravity://images/") and link.uri.endswith(".png")
    image = result.structured_content["images"][0]  # type: ignore[index]
    assert "path" not in image  # a remote caller gets no path on the server's disk
    assert str(tmp_path) not in text_of(result)
    assert isinstance(blob, BlobResourceContents) and blob.mime_type == "image/png"
    data = base64.b64decode(blob.blob)
    assert len(data) > 2_000_000 and len(data) == image["bytes"] == link.size
    assert image_info(data).width == 1024
    saved = list((tmp_path / "data" / "mcp-antigravity" / "emulator" / "images").glob("*.png"))
    assert [p.name for p in saved] == [link.uri.rsplit("/", 1)[-1]]  # serve --emulator keeps its own folder


async def test_a_15_mb_audio_file_is_transcribed_over_http_and_past_the_limit_the_caller_is_told(
    tmp_path: Path,
) -> None:
    from .test_chat import start_server

    audio = sample_wav(470.0)  # 15 MB of WAV, 20 MB as base64 in the call
    assert len(audio) > 15_000_000
    servers = start_server("streamable-http", tmp_path)
    endpoint = next(servers)
    try:
        async with Client(endpoint) as client:
            result = await client.call_tool("transcribe", {"audio": data_uri(audio, "audio/wav")})
        async with httpx2.AsyncClient(timeout=60) as http:
            limit = 20 * 1024 * 1024 * 4 // 3 + 2 * 1024 * 1024
            too_big = await http.post(
                endpoint,
                content=b"x" * (limit + 1),
                headers={"Content-Type": "application/json", "Accept": "application/json, text/event-stream"},
            )
    finally:
        servers.close()
    assert not result.is_error, text_of(result)
    assert too_big.status_code == 413
    message = too_big.json()["error"]
    assert f"at most {limit:,}" in message and "ANTIGRAVITY_HTTP_MAX_BODY_BYTES" in message
