"""The process isolation every verifier shares: confined forked children, and deadlines in-process.

`run_isolated(handler, text, timeout_s, memory_mb)` runs `handler(text)` in a forked child with resource limits:
RLIMIT_AS (memory_mb above what the worker already maps), RLIMIT_CPU, RLIMIT_FSIZE=0 (no file writes),
RLIMIT_NOFILE=3 (no new files or sockets), RLIMIT_NPROC=0 (no fork); when started as root the child also drops
to uid/gid 65534 (nobody), because root ignores RLIMIT_NPROC. stdin/stdout/stderr go to /dev/null, every other
descriptor is closed, and the parent kills the child at the wall-clock deadline. `run_with_alarm` bounds
trusted-by-construction work in the worker itself with SIGALRM; `limit_memory` caps a whole worker.

Deliberately left out: what is checked before running (distill_lib.verify.sandbox, .equations) and the worker
pool (distill_lib.verify.batch).
"""

from __future__ import annotations

import json
import math
import os
import resource
import select
import signal
import time
from collections.abc import Callable

from distill_lib.verify.result import VerifyResult

NOBODY = 65534
RESULT_BYTES = 65_536


def _confine_child(result_fd: int, timeout_s: float, memory_mb: int) -> None:
    """In the forked child: silence stdio, close descriptors, drop root, set resource limits."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.closerange(3, result_fd)
    os.closerange(result_fd + 1, 65_536)
    with open("/proc/self/statm") as statm:
        mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    if os.getuid() == 0:
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
    cpu_s = math.ceil(timeout_s) + 1
    for limit, value in ((resource.RLIMIT_AS, mapped + memory_mb * 2**20), (resource.RLIMIT_CPU, cpu_s),
                         (resource.RLIMIT_FSIZE, 0), (resource.RLIMIT_NOFILE, 3), (resource.RLIMIT_NPROC, 0),
                         (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(limit, (value, value))


def _child_main(handler: Callable[[str], VerifyResult], text: str, result_fd: int, timeout_s: float,
                memory_mb: int) -> None:
    try:
        _confine_child(result_fd, timeout_s, memory_mb)
        result = handler(text)
    except MemoryError:
        result = VerifyResult(None, "memory", "MemoryError")
    except BaseException as err:  # noqa: B036 -- anything here must become a result
        result = VerifyResult(None, "error", f"{type(err).__name__}: {str(err)[:200]}")
    try:
        payload = json.dumps(result.to_dict()).encode()[:RESULT_BYTES]
        os.write(result_fd, payload)
    finally:
        os._exit(0)


def run_isolated(handler: Callable[[str], VerifyResult], text: str, timeout_s: float,
                 memory_mb: int) -> VerifyResult:
    """Run `handler(text)` in a confined forked child; kill it at the wall-clock deadline."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child_main(handler, text, write_fd, timeout_s, memory_mb)
    os.close(write_fd)
    payload, timed_out = _read_until(read_fd, time.monotonic() + timeout_s)
    os.close(read_fd)
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if timed_out or (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU):
        return VerifyResult(None, "timeout", f"no result within {timeout_s:g} s")
    try:
        return VerifyResult.from_dict(json.loads(payload))
    except (ValueError, KeyError, TypeError):
        signal_note = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit {status}"
        return VerifyResult(None, "error", f"child died without a result ({signal_note})")


def _read_until(fd: int, deadline: float) -> tuple[bytes, bool]:
    """All bytes from `fd` until EOF, and whether the deadline passed first."""
    chunks = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            return b"".join(chunks), True
        chunk = os.read(fd, RESULT_BYTES)
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)


class _Deadline(BaseException):
    """Raised by the alarm; a BaseException so that library code catching Exception cannot swallow it."""


def _raise_deadline(signum: int, frame: object) -> None:
    raise _Deadline


def limit_memory(memory_mb: int) -> None:
    """Cap this process's address space at what it maps now plus `memory_mb`."""
    with open("/proc/self/statm") as statm:
        mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = mapped + memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))


def run_with_alarm(handler: Callable[[str], VerifyResult], text: str, timeout_s: float) -> VerifyResult:
    """Run trusted-by-construction work (the equation solver) in this process under a SIGALRM deadline.

    Cheaper than a fork per request because the worker's caches stay warm; a solve stuck in C code that the
    alarm cannot interrupt is caught by the pool, which replaces the worker after a grace period."""
    previous = signal.signal(signal.SIGALRM, _raise_deadline)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        return handler(text)
    except _Deadline:
        return VerifyResult(None, "timeout", f"no result within {timeout_s:g} s")
    except MemoryError:
        return VerifyResult(None, "memory", "MemoryError")
    except RecursionError:
        return VerifyResult(None, "error", "RecursionError")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
