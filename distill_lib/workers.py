"""Cells side by side: `distill run --workers N` runs a grid as N worker processes on this machine,
each pinned to its share of the CPU cores with that many torch threads; they split the cells
through the run root's claims (distill_lib.claims), as two grids started by hand would.

On the two-core machines this project measures, two one-thread cells at once finish more steps per
hour than one cell on two threads (`python -m benchmarks.bench_threads`, docs/performance.md).

Deliberately left out: GPUs (one process drives a GPU; `accelerate launch` scales that out) and
balancing cells by cost (each worker takes the next unclaimed cell in grid order).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence

from distill_lib.config_values import ConfigError


def core_shares(cores: Sequence[int], workers: int) -> list[list[int]]:
    """`cores` cut into `workers` contiguous shares as even as they can be."""
    if workers < 1 or workers > len(cores):
        raise ConfigError(f"--workers {workers}: this process may use {len(cores)} core(s)")
    size, extra = divmod(len(cores), workers)
    shares, start = [], 0
    for i in range(workers):
        end = start + size + (1 if i < extra else 0)
        shares.append(list(cores[start:end]))
        start = end
    return shares


def worker_command(argv: Sequence[str]) -> list[str]:
    """The same `distill` command line without its --workers option."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--workers":
            skip = True
        elif not arg.startswith("--workers="):
            out.append(arg)
    return [sys.executable, "-m", "distill_lib.cli", *out]


def run_workers(argv: Sequence[str], workers: int) -> int:
    """Start the workers, wait for all; the worst exit status (0 when every worker succeeded)."""
    shares = core_shares(sorted(os.sched_getaffinity(0)), workers)
    children = []
    for number, share in enumerate(shares, start=1):
        env = {**os.environ, "OMP_NUM_THREADS": str(len(share)), "DISTILL_WORKER": str(number)}
        print(f"worker {number}/{workers}: cores {share}, {len(share)} torch thread(s)", flush=True)
        children.append(
            subprocess.Popen(
                worker_command(argv), env=env, preexec_fn=lambda s=share: os.sched_setaffinity(0, s)
            )
        )
    codes = [child.wait() for child in children]
    return max(codes, key=abs)
