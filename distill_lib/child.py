"""A function called in a fresh spawned child process that ends with its parent.

A grid runs each cell in a child of its own (distill_lib.grid). The parent holds the cell's claim
under its own pid (distill_lib.claims), so a child that outlived a killed parent would go on
training a cell whose claim now looks stale, and a new runner would train the same cell in the
same folder. On Linux the child therefore asks the kernel for SIGKILL when its parent dies
(prctl PR_SET_PDEATHSIG), and exits at once if the parent died before it asked.

Deliberately left out: other platforms (no such call; the child there can outlive its parent) and
what the function does.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent(parent_pid: int) -> None:
    """In a child: be killed when the process `parent_pid` ends (Linux); exit if it already has."""
    if sys.platform != "linux":
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before the request above
        os._exit(1)


def call_in_fresh_process(function: Callable[..., Any], *args: Any) -> Any:
    """function(*args) in a spawned child that dies with this process; its result returned and
    its exceptions raised here (the child's output goes to this process's stdout and stderr)."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1, initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        return pool.apply(function, args)
