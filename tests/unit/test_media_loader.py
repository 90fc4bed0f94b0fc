"""The media loader: every input form, sniffed types, size limits, roots and remote callers."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from mcp_antigravity.emulator import serve_app
from mcp_antigravity.emulator.samples import (
    data_uri,
    sample_flac,
    sample_mp3,
    sample_ogg,
    sample_png,
    sample_wav,
)
from mcp_antigravity.media.info import CorruptMedia, audio_info, image_info, sniff
from mcp_antigravity.media.loader import Media, MediaError, MediaLoader, check_request_budget
from mcp_antigravity.web.fetcher import FetchPolicy, SafeFetcher

pytestmark = pytest.mark.anyio
PNG = sample_png(40, 30)


async def serve_png(request: Request) -> Response:
    return Response(PNG, media_type="image/jpeg")  # a declared type that lies


async def to_private(request: Request) -> Response:
    return RedirectResponse("http://10.9.8.7/secret.png")


SITE = Starlette(
    routes=[
        Route("/cat.png", serve_png),
        Route("/sneaky.png", to_private),
        Route("/missing.png", lambda r: Response("no", status_code=404)),
    ]
)


@pytest.fixture
async def site() -> AsyncIterator[str]:
    async with serve_app(SITE) as url:
        yield url


def loader(
    http: httpx2.AsyncClient,
    *,
    roots: list[Path] | None = None,
    local: bool = True,
    max_bytes: int = 1_000_000,
) -> MediaLoader:
    fetcher = SafeFetcher(
        http, FetchPolicy.parse(["127.0.0.1:*"]), max_bytes=max_bytes, timeout=10, user_agent="test"
    )
    return MediaLoader(fetcher, roots=roots or [], local_files=local, max_bytes=max_bytes)


async def test_every_input_form(site: str, http: httpx2.AsyncClient, tmp_path: Path) -> None:
    path = tmp_path / "cat.jpg"  # an extension that lies
    path.write_bytes(PNG)
    media = loader(http)
    forms = [
        str(path),
        path.as_uri(),
        f"{site}/cat.png",
        data_uri(PNG, "image/gif"),
        base64.b64encode(PNG).decode(),
        base64.urlsafe_b64encode(PNG).decode().rstrip("="),
    ]
    for source in forms:
        loaded = await media.load(source, "image")
        assert (loaded.data, loaded.mime_type) == (PNG, "image/png"), source


@pytest.mark.parametrize(
    ("make", "kind", "message"),
    [
        (lambda: sample_wav(1), "image", "is audio, which is not a supported image type"),
        (lambda: PNG, "audio", "is an image, which is not a supported audio type"),
        (
            lambda: b"GIF89a" + b"\x10\x00\x10\x00" + b"\x00" * 20,
            "image",
            "is an image (image/gif), which is not a supported",
        ),
        (lambda: PNG[:20], "image", "is damaged: image/png data ends inside its header"),
        (lambda: b"RIFF\x00\x00\x00\x00WAVEjunk", "audio", "is damaged"),
        (lambda: b"hello world, not media at all", "image", "is not a recognized image format"),
    ],
)
async def test_wrong_kind_corrupt_or_unknown_data(
    http: httpx2.AsyncClient, make: object, kind: str, message: str
) -> None:
    data = make()  # type: ignore[operator]
    with pytest.raises(MediaError, match=message.replace("(", r"\(").replace(")", r"\)")):
        await loader(http).load(data_uri(data, "application/octet-stream"), kind)  # type: ignore[arg-type]


async def test_sizes_are_checked_before_reading(http: httpx2.AsyncClient, tmp_path: Path, site: str) -> None:
    huge = tmp_path / "huge.wav"
    with huge.open("wb") as out:  # sparse: 50 MB on paper, nothing on disk, never read
        out.truncate(50 * 1024 * 1024)
    with pytest.raises(MediaError, match=r"huge.wav is 50.0 MB; the limit is 977 KB"):
        await loader(http).load(str(huge), "audio")
    with pytest.raises(MediaError, match="the limit is"):
        await loader(http, max_bytes=100).load(f"{site}/cat.png", "image")
    with pytest.raises(MediaError, match="the limit is"):
        await loader(http, max_bytes=100).load(data_uri(PNG, "image/png"), "image")


async def test_urls_are_fetched_safely(site: str, http: httpx2.AsyncClient) -> None:
    with pytest.raises(MediaError, match=r"Refused to fetch http://10\.9\.8\.7/secret\.png"):
        await loader(http).load(f"{site}/sneaky.png", "image")
    with pytest.raises(MediaError, match="answered HTTP 404"):
        await loader(http).load(f"{site}/missing.png", "image")


async def test_roots_confine_local_files(http: httpx2.AsyncClient, tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.png").write_bytes(PNG)
    (root / "ok.png").write_bytes(PNG)
    (root / "link.png").symlink_to(outside / "secret.png")
    media = loader(http, roots=[root])
    assert (await media.load(str(root / "ok.png"), "image")).data == PNG
    for escape in (
        str(root / ".." / "outside" / "secret.png"),
        str(root / "link.png"),
        str(outside / "secret.png"),
        (outside / "secret.png").as_uri(),
    ):
        with pytest.raises(MediaError, match="is outside the allowed folders"):
            await media.load(escape, "image")


async def test_remote_callers_get_no_local_files_without_roots(
    http: httpx2.AsyncClient, tmp_path: Path
) -> None:
    (tmp_path / "a.png").write_bytes(PNG)
    with pytest.raises(MediaError, match="Reading local files is off for callers over HTTP"):
        await loader(http, local=False).load(str(tmp_path / "a.png"), "image")
    assert (
        await loader(http, local=False, roots=[tmp_path]).load(str(tmp_path / "a.png"), "image")
    ).data == PNG


async def test_missing_and_unreadable(http: httpx2.AsyncClient, tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="does not exist"):
        await loader(http).load(str(tmp_path / "nope.png"), "image")
    with pytest.raises(MediaError, match="is not a file"):
        await loader(http).load(str(tmp_path) + "/", "image")
    with pytest.raises(MediaError, match="is not a file path, an http"):
        await loader(http).load("what is this?", "image")


def test_request_budget_counts_base64_and_prompt() -> None:
    media = [Media(b"x" * 15_000_000, "image/png", "a")]
    check_request_budget(media, "prompt")  # 20,000,000 base64 bytes + prompt: under 20 MiB
    with pytest.raises(MediaError, match=r"the upstream takes at most 20\.0 MB"):
        check_request_budget([*media, Media(b"x" * 1_000_000, "image/png", "b")], "prompt")


@pytest.mark.parametrize(
    ("data", "kind", "duration"),
    [
        (sample_wav(2.5), "audio/wav", 2.5),
        (sample_flac(3.0), "audio/flac", 3.0),
        (sample_ogg(1.25), "audio/ogg", 1.25),
        (sample_mp3(4.0), "audio/mpeg", 4.0),
    ],
)
def test_audio_durations(data: bytes, kind: str, duration: float) -> None:
    info = audio_info(data)
    assert info.mime_type == kind and info.duration == pytest.approx(duration, abs=0.05)


# Each sample with the length of its header: the bytes a reader needs before it can say anything.
HEADERS = [
    ("png", sample_png, image_info, 24),
    ("wav", sample_wav, audio_info, 44),
    ("flac", sample_flac, audio_info, 26),
    ("mp3", sample_mp3, audio_info, 14),
    ("ogg", sample_ogg, audio_info, 44),
]
TRUNCATED = [
    pytest.param(make()[:cut], inspect, id=f"{name}-{cut}")
    for name, make, inspect, header in HEADERS
    for cut in range(header)
]


@pytest.mark.parametrize(("data", "inspect"), TRUNCATED)
def test_every_truncated_header_is_refused_as_damaged(data: bytes, inspect: Callable[[bytes], Any]) -> None:
    with pytest.raises(CorruptMedia):
        inspect(data)


@pytest.mark.parametrize(("name", "make", "inspect", "header"), HEADERS, ids=[h[0] for h in HEADERS])
def test_a_whole_header_is_read_as_the_file_it_starts(
    name: str, make: Callable[[], bytes], inspect: Callable[[bytes], Any], header: int
) -> None:
    """The type (and an image's size) come from the header alone; an audio duration may need more."""
    whole, start = inspect(make()), inspect(make()[:header])
    assert start.mime_type == whole.mime_type
    assert getattr(start, "width", None) == getattr(whole, "width", None)


@given(st.binary(max_size=300))
def test_inspecting_any_bytes_never_crashes(data: bytes) -> None:
    kind = sniff(data)
    for inspect in (image_info, audio_info):
        with contextlib.suppress(CorruptMedia):  # refusing is fine; any other exception fails
            inspect(data)
    assert kind is None or "/" in kind


@given(st.integers(1, 3000), st.integers(1, 3000))
def test_png_sizes_round_trip(width: int, height: int) -> None:
    info = image_info(sample_png(width, height))
    assert (info.mime_type, info.width, info.height) == ("image/png", width, height)
