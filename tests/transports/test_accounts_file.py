"""The accounts file across processes: killed mid-write, and changed by two at once."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
from pathlib import Path

from mcp_antigravity.accounts import AccountsFile

WRITER = """
import sys
from mcp_antigravity.accounts import Account, AccountsFile
file = AccountsFile(__import__("pathlib").Path(sys.argv[1]))
prefix, count = sys.argv[2], int(sys.argv[3])
def bump(accounts, i):
    if not accounts:
        accounts.append(Account("a@example.com", "rt"))
    step = int(accounts[0].tier or "0") + 1  # counts on from what the last process left
    accounts[0].tier = str(step)
    accounts[0].extra["padding"] = "x" * (step % 7 * 20000)  # files of different sizes
for i in range(count):
    if prefix == "bump":
        file.update(lambda accounts: bump(accounts, i))
    else:
        file.update(lambda accounts: accounts.append(Account(f"{prefix}{i}@example.com", "rt")))
    print(i, flush=True)
"""


def writer(path: Path, prefix: str, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), prefix, str(count)], stdout=subprocess.PIPE, text=True
    )


def test_a_kill_at_any_moment_leaves_the_old_content_or_the_new(tmp_path: Path) -> None:
    path = tmp_path / "accounts.json"
    file = AccountsFile(path)
    chooser = random.Random(7)
    last = -1
    for _ in range(15):
        process = writer(path, "bump", 10_000)
        assert process.stdout is not None
        for _ in range(chooser.randrange(1, 40)):  # let it finish a few writes, then kill it mid-way
            process.stdout.readline()
        process.send_signal(signal.SIGKILL)
        process.wait()
        accounts = file.load()  # always whole JSON
        assert len(accounts) == 1
        tier = int(accounts[0].tier or "-1")
        assert tier >= last  # the old content or a newer one, never a mix or a loss
        last = tier
        json.loads(path.read_text())
    assert last > 0
    leftovers = [p.name for p in tmp_path.iterdir() if p.name not in ("accounts.json", "accounts.json.lock")]
    assert all(
        name.startswith(".partial-") for name in leftovers
    )  # a killed write leaves at most its temp file


def test_two_processes_adding_at_once_lose_neither(tmp_path: Path) -> None:
    path = tmp_path / "accounts.json"
    first, second = writer(path, "first", 40), writer(path, "second", 40)
    assert first.wait(timeout=120) == 0 and second.wait(timeout=120) == 0
    emails = sorted(a.email for a in AccountsFile(path).load())
    assert emails == sorted(
        [f"first{i}@example.com" for i in range(40)] + [f"second{i}@example.com" for i in range(40)]
    )
