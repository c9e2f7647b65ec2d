"""glibc's kept heap handed back to the system.

glibc keeps what a process frees for reuse; each forward of a training step frees gigabytes of
activations, the next forward (other shapes) does not reuse those pages, and what is kept grows a
process's resident memory by each micro-batch of a step. `trim_heap()` (malloc_trim) returns the
free pages in milliseconds, but the next allocations fault those pages in again, which costs more.
So the trainer trims after every optimizer step, and after a micro-batch's backward only when the
process is above `train.heap_trim_above_gb` (`trim_heap_above`); a cell trims after training and
at its end.

`PeakRss` keeps a process's peak RSS since its last `reset()` (a sampling thread), for the memory
benchmarks and lab scripts.

Deliberately left out: other allocators (none ships with the project) and the mmap threshold
(fixing it low returns every tensor at once but makes each step far slower: docs/performance.md).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
import time


def trim_heap() -> None:
    """Hand glibc's freed but kept heap back to the system; a no-op where there is no glibc."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def resident_gb() -> float:
    """This process's resident memory in GB (0.0 where /proc/self/statm is missing)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**30
    except (OSError, ValueError, IndexError):
        return 0.0


def trim_heap_above(limit_gb: float) -> None:
    """`trim_heap()` when the process's RSS is above `limit_gb` (0: always). A trim returns free
    pages that the next allocations fault in again, so a limit trades memory for those faults."""
    if limit_gb <= 0 or resident_gb() > limit_gb:
        trim_heap()


class PeakRss:
    """The peak of `resident_gb()` since the last `reset()`, from a daemon thread sampling every
    `every_s` seconds."""

    def __init__(self, every_s: float = 0.005) -> None:
        self.peak, self.every_s = resident_gb(), every_s
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, resident_gb())
            time.sleep(self.every_s)

    def reset(self) -> None:
        self.peak = resident_gb()
