"""A cell's child process: results and exceptions come back, and it dies with its parent (so a
killed runner leaves no orphan training a cell whose claim looks stale)."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from distill_lib.child import call_in_fresh_process

PARENT = (
    "from distill_lib.child import call_in_fresh_process; import time; "
    "call_in_fresh_process(time.sleep, 120)"
)


def test_the_result_and_exceptions_come_back():
    assert call_in_fresh_process(math.sqrt, 4.0) == 2.0
    with pytest.raises(ValueError, match="math domain error"):
        call_in_fresh_process(math.sqrt, -1.0)


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found |= {int(x) for x in text.split()}
    return found


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper counts as dead)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux only")
def test_the_child_dies_when_its_parent_is_killed():
    root = Path(__file__).parents[1]
    parent = subprocess.Popen([sys.executable, "-c", PARENT], cwd=root)
    kids: set[int] = set()
    try:
        deadline = time.time() + 60
        while not children(parent.pid) and time.time() < deadline:
            time.sleep(0.2)
        time.sleep(3)  # the worker has run its initializer and is sleeping
        kids = children(parent.pid)
        assert kids, "the parent started no child"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        deadline = time.time() + 10
        while any(alive(k) for k in kids) and time.time() < deadline:
            time.sleep(0.2)
        assert not any(alive(k) for k in kids), "a child outlived its killed parent"
    finally:
        parent.kill()
        for kid in kids | children(parent.pid):
            if alive(kid):
                os.kill(kid, signal.SIGKILL)
