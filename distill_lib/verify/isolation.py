"""The process isolation every verifier shares: a confined forked child per request.

`run_isolated(handler, text, timeout_s, memory_mb)` runs `handler(text)` in a forked child with
resource limits: RLIMIT_AS (memory_mb above what the parent already maps), RLIMIT_CPU,
RLIMIT_FSIZE=0 (no file contents), RLIMIT_NOFILE=3 (no new files or sockets), RLIMIT_NPROC=0 (no
fork). stdin/stdout/stderr go to /dev/null, every other descriptor is closed, and the parent kills
the child at the wall-clock deadline.

The child also loses the file system: it changes into an empty directory (made once per process by
`empty_root`, mode 0o555, and removed at once while a descriptor keeps it: nothing can ever be
created in a removed directory, and a killed worker leaves nothing behind). When started as root it
then chroots into that directory and drops to uid/gid 65534 (nobody; root ignores RLIMIT_NPROC), so
it can open, create or link nothing anywhere: no directories or symlinks in /tmp, which RLIMIT_FSIZE
alone would allow. Without root (or where the chroot is not permitted) only relative paths lead into
the empty directory: absolute paths stay reachable with the caller's own rights (reading files,
making directories and symlinks where that user may), and only the checks before running (the
program policy, the equation filter) keep untrusted text from doing so. Because the child cannot
import anything that is not loaded yet, callers warm their code up first
(distill_lib.verify.batch.WARM_UP).

Deliberately left out: what is checked before running (distill_lib.verify.sandbox, .equations), the
worker pool (distill_lib.verify.batch), and seccomp/namespaces (not in the standard library).
"""

from __future__ import annotations

import json
import math
import os
import resource
import select
import signal
import tempfile
import time
from collections.abc import Callable

from distill_lib.verify.result import VerifyResult, shorten

NOBODY = 65534
RESULT_BYTES = 65_536
_EMPTY_ROOT: list[int] = []  # this process's empty directory, as a descriptor (made on first use)


def running_as_root() -> bool:
    return os.getuid() == 0


def empty_root() -> int:
    """A descriptor of an empty, read-only directory that no longer has a path (made once per
    process)."""
    if not _EMPTY_ROOT:
        path = tempfile.mkdtemp(prefix="verify-root-")
        os.chmod(path, 0o555)
        _EMPTY_ROOT.append(os.open(path, os.O_RDONLY | os.O_DIRECTORY))
        os.rmdir(path)
    return _EMPTY_ROOT[0]


def _enter_empty_root(root_fd: int) -> None:
    """Change into the empty directory; as root also make it `/` and become nobody."""
    os.fchdir(root_fd)
    if not running_as_root():
        return
    try:
        os.chroot(".")
    except PermissionError:  # a container without CAP_SYS_CHROOT: the empty working directory stays
        pass
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


def _confine_child(result_fd: int, root_fd: int, timeout_s: float, memory_mb: int) -> None:
    """In the forked child: silence stdio, leave the file system, close descriptors, set resource
    limits."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    with open("/proc/self/statm") as statm:
        mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    _enter_empty_root(root_fd)
    os.closerange(3, result_fd)
    os.closerange(result_fd + 1, 65_536)
    cpu_s = math.ceil(timeout_s) + 1
    for limit, value in (
        (resource.RLIMIT_AS, mapped + memory_mb * 2**20),
        (resource.RLIMIT_CPU, cpu_s),
        (resource.RLIMIT_FSIZE, 0),
        (resource.RLIMIT_NOFILE, 3),
        (resource.RLIMIT_NPROC, 0),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(limit, (value, value))


def _child_main(
    handler: Callable[[str], VerifyResult],
    text: str,
    result_fd: int,
    root_fd: int,
    timeout_s: float,
    memory_mb: int,
) -> None:
    try:
        _confine_child(result_fd, root_fd, timeout_s, memory_mb)
        result = handler(text)
    except MemoryError:
        result = VerifyResult(None, "memory", "MemoryError")
    except BaseException as err:  # noqa: B036 -- anything here must become a result
        result = VerifyResult(None, "error", shorten(f"{type(err).__name__}: {err}"))
    try:
        payload = json.dumps(result.to_dict()).encode()[:RESULT_BYTES]
        os.write(result_fd, payload)
    finally:
        os._exit(0)


def run_isolated(
    handler: Callable[[str], VerifyResult], text: str, timeout_s: float, memory_mb: int
) -> VerifyResult:
    """Run `handler(text)` in a confined forked child; kill it at the wall-clock deadline."""
    root_fd = empty_root()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child_main(handler, text, write_fd, root_fd, timeout_s, memory_mb)
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
        signal_note = (
            f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit {status}"
        )
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
