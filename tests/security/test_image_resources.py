"""The image resources read only what image_generate saved: plain names right in the images folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from mcp_antigravity import build_server

from ..conftest import make_settings

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    "uri",
    [
        "antigravity://images/..%2Fsecret.png",
        "antigravity://images/%2E%2E%2Fsecret.png",
        "antigravity://images/../secret.png",
        "antigravity://images/.hidden.png",
        "antigravity://images/link.png",
        "antigravity://images/missing.png",
        "antigravity://images/secret",
        "antigravity://images/notes.txt",
        "antigravity://images/%2Fetc%2Fpasswd.png",
        "antigravity://images/a%00b.png",
    ],
)
async def test_nothing_but_a_saved_image_is_read(tmp_path: Path, uri: str) -> None:
    images = tmp_path / "images"
    images.mkdir()
    (tmp_path / "secret.png").write_bytes(b"\x89PNG secret outside")
    (images / ".hidden.png").write_bytes(b"\x89PNG hidden")
    (images / "notes.txt").write_text("not an image")
    (images / "link.png").symlink_to(tmp_path / "secret.png")
    settings = make_settings("http://127.0.0.1:9", data_dir=tmp_path, output_dir=images)
    async with Client(build_server(settings)) as client:
        with pytest.raises(MCPError) as raised:
            await client.read_resource(uri)
        listed = (await client.read_resource("antigravity://images")).contents[0]
    assert "secret outside" not in str(raised.value) and "PNG hidden" not in str(raised.value)
    assert '"images": []' in getattr(listed, "text", "")  # neither the dot file, the link nor the text file
