"""glibc's kept heap handed back to the system.

glibc keeps what a process frees for reuse; a training step frees gigabytes of activations of
shapes that change from step to step, and what is kept grows a process's resident memory by more
than any one step needs. `trim_heap()` (malloc_trim) returns the free pages; it takes milliseconds,
so the trainer calls it after every optimizer step, and a cell after training and at its end.

Deliberately left out: other allocators (none ships with the project) and the mmap threshold
(fixing it low returns every tensor at once but makes each step far slower: docs/performance.md).
"""

from __future__ import annotations

import contextlib
import ctypes
import sys


def trim_heap() -> None:
    """Hand glibc's freed but kept heap back to the system; a no-op where there is no glibc."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)
