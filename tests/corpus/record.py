"""Record the tools/list of published MCP servers into this folder (one JSON file per server).

Install the servers first (they are not project dependencies):

    npm install --prefix NPM_DIR @modelcontextprotocol/server-everything @modelcontextprotocol/server-filesystem \
        @modelcontextprotocol/server-memory @modelcontextprotocol/server-sequential-thinking
    python -m venv PY_DIR && PY_DIR/bin/pip install mcp-server-fetch mcp-server-time mcp-server-git

then: python tests/corpus/record.py NPM_DIR PY_DIR
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

HERE = Path(__file__).parent


def servers(npm: Path, py: Path, scratch: str) -> dict[str, StdioServerParameters]:
    bin_ = npm / "node_modules" / ".bin"
    return {
        "npm-server-everything": StdioServerParameters(command=str(bin_ / "mcp-server-everything")),
        "npm-server-filesystem": StdioServerParameters(
            command=str(bin_ / "mcp-server-filesystem"), args=[scratch]
        ),
        "npm-server-memory": StdioServerParameters(command=str(bin_ / "mcp-server-memory")),
        "npm-server-sequential-thinking": StdioServerParameters(
            command=str(bin_ / "mcp-server-sequential-thinking")
        ),
        "pypi-mcp-server-fetch": StdioServerParameters(command=str(py / "bin" / "mcp-server-fetch")),
        "pypi-mcp-server-time": StdioServerParameters(command=str(py / "bin" / "mcp-server-time")),
        "pypi-mcp-server-git": StdioServerParameters(command=str(py / "bin" / "mcp-server-git")),
    }


async def record(npm: Path, py: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        for name, params in servers(npm, py, scratch).items():
            async with Client(params, mode="legacy") as client:
                tools = (await client.list_tools()).tools
            listed = [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]
            (HERE / f"{name}.json").write_text(json.dumps(listed, indent=1, sort_keys=True) + "\n")
            print(f"{name}: {len(listed)} tools")


if __name__ == "__main__":
    anyio.run(record, Path(sys.argv[1]), Path(sys.argv[2]))
