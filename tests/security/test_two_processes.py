"""Two server processes on one data directory (two desktop windows, a desktop app and a CLI)
take turns on one session at the same time: every call is answered and every answered turn is
stored exactly once, in a valid history."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from mcp_antigravity.emulator import Emulator

from ..conftest import PROJECT, TOKEN, text_of

pytestmark = pytest.mark.anyio
CALLS = 50


def stdio_server(url: str, data: Path, config: Path) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "mcp_antigravity", "serve"],
        env={
            "ANTIGRAVITY_ENDPOINTS": url,
            "ANTIGRAVITY_ACCESS_TOKEN": TOKEN,
            "ANTIGRAVITY_PROJECT": PROJECT,
            "ANTIGRAVITY_DATA_DIR": str(data),
            "ANTIGRAVITY_CONFIG_FILE": str(config),
            "ANTIGRAVITY_DEFAULT_MODEL": "gemini-3-flash",
        },
    )


async def test_two_processes_x_50_calls_on_one_session_lose_nothing(
    emulator: tuple[Emulator, str], tmp_path: Path
) -> None:
    _, url = emulator
    config = tmp_path / "config.toml"
    config.write_text("")
    params = stdio_server(url, tmp_path / "data", config)
    async with Client(params) as first, Client(params) as second:
        opened = await first.call_tool("chat", {"prompt": "start"})
        assert not opened.is_error, text_of(opened)
        session = opened.structured_content["session_id"]  # type: ignore[index]
        failures: list[str] = []

        async def ask(client: Client, number: int) -> None:
            result = await client.call_tool("chat", {"prompt": f"turn {number}", "session_id": session})
            if result.is_error:
                failures.append(text_of(result))

        with anyio.fail_after(120):
            async with anyio.create_task_group() as group:
                for number in range(CALLS):
                    group.start_soon(ask, first if number % 2 else second, number)
        assert failures == []
        history = json.loads(
            (await second.read_resource(f"antigravity://sessions/{session}")).contents[0].text
        )  # type: ignore[union-attr]

    turns = history["turns"]
    assert len(turns) == 2 * (CALLS + 1)
    assert [t["role"] for t in turns] == ["user", "model"] * (CALLS + 1)
    prompts = [t["parts"][0]["text"] for t in turns if t["role"] == "user"]
    assert sorted(prompts) == sorted(["start", *(f"turn {n}" for n in range(CALLS))])
    answers = ["".join(p.get("text", "") for p in t["parts"]) for t in turns if t["role"] == "model"]
    assert all(answer.startswith("Echo: ") for answer in answers), answers
    # each answer follows its own question
    assert [a.removeprefix("Echo: ") for a in answers] == prompts
