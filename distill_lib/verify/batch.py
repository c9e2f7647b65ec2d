"""Verifying many answers fast: a pool of pre-started worker processes, and `verify_many`.

A worker is a separate Python process (`python -m distill_lib.verify.batch <kind> <memory_mb>`) that
imports its verifier once (sympy for equations) and runs the WARM_UP texts itself, so that every
lazy import has happened, then serves requests, one JSON line each, over stdin/stdout. For each
request it forks a confined child (`isolation.run_isolated`: resource limits, no file system, a
wall-clock deadline) that does the work, so one bad program or equation system cannot poison the
next. Equation systems get the same confinement as programs although their text is filtered to
arithmetic: SymPy's parser evaluates the code it builds from the text, so the filter is one layer,
not the only one. Workers start with a scrubbed environment (`worker_env`: what Python needs to
start and find this package, no API keys or other secrets of the parent), and the pool talks to them
from one thread each; a worker that stops answering (it should not: the child carries the timeout)
is killed after a grace period and replaced.

Kinds: "program" (PoT, `sandbox.execute_here`) and "equations" (EoT, `equations.solve_here`).

Deliberately left out: caching of results, any scheduling beyond "next free worker", and a worker
that runs requests in-process (cheaper, but without the child's limits).
"""

from __future__ import annotations

import atexit
import gc
import importlib
import json
import os
import queue
import select
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from distill_lib.verify.result import VerifyResult

# kind -> (module, function): each request runs in a confined forked child of the worker
HANDLERS = {
    "program": ("distill_lib.verify.sandbox", "execute_here"),
    "equations": ("distill_lib.verify.equations", "solve_here"),
}
# run once in the worker itself (trusted text) so that lazy imports happen before children lose file
# access: one text per code path (each status, `^`, percent, functions, nonlinear solve, high-degree
# roots). A non-ASCII identifier makes the compiler import `unicodedata` (it normalises names to
# NFKC, PEP 3131); a child cannot import it (no descriptors left, no file system), so `π = 3`
# needs it loaded here
WARM_UP = {
    "program": [
        "from fractions import Fraction\nimport math, statistics, decimal\nans = Fraction(1, 3)",
        "π = 3\nans = next(iter([π]))",
        "ans = 1 / 0",
        "ans = (",
        "ans = 'x'",
        "import os",
        "ans = " + "(" * 60 + ")" * 60,
    ],
    "equations": [
        "x + 2y = 7\ny = 3 * 50% \nans = x",
        "x * y = 12\nx = 3.5\nans = sqrt(y)",
        "x**2 = 16\nans = x",
        "x + y = 1\nans = x",
        "x = 1\nx = 2\nans = x",
        "x^3 + x = 10\nans = floor(x) + ceiling(x) + abs(-x) + min(x, 2) + max(x, 3)",
        "x**2 + y**2 = 25\nx - y = 1\nans = x * y",
        "x**2 = -4\nans = x",
        "ans = 2**2000",
        "x**7 + x = 5\n2x**7 + 2x = 10\nans = x",
        "x**6 = 64\nans = x / 3",
        "y = sqrt(2)\nx**5 = 2.5 * y\nans = x",
        "x**6 = -1\nans = x",
        "x**500 = 2\nans = x",
        "x = 1 .real",
        "x = 3 +\nans = x",
        "ans = 1/x\nx = 0",
        "ans = 0/0",
        "x = 10\nx = x + 5\nans = x",
        "x**2 - 5x + 6 = 0\nans = x",
        "x = 017 + 1_000\nans = x",
        "ans = " + "(" * 60 + ")" * 60,
    ],
}
START_TIMEOUT_S = 60.0
GRACE_S = 10.0  # on top of the request's own timeout, before the pool gives up on a worker
PACKAGE_ROOT = Path(__file__).resolve().parents[2]
# what a worker inherits: Python's search path and locale, the temp dir; nothing else (no API keys).
# LD_LIBRARY_PATH: a Python built with a shared libpython outside the default search path cannot
# start without it
PASSED_ENV = ("PATH", "PYTHONHASHSEED", "LANG", "TMPDIR", "LD_LIBRARY_PATH")
# nothing of the user's home directory is needed, nor should be readable by name
WORKER_HOME = "/nonexistent"


def worker_env() -> dict[str, str]:
    """The scrubbed environment a worker starts with."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name in PASSED_ENV or name.startswith("LC_")
    }
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")])
    )
    env.update(HOME=WORKER_HOME, OMP_NUM_THREADS="1")
    return env


class _Worker:
    """One worker process and its line-oriented JSON channel."""

    def __init__(self, kind: str, memory_mb: int) -> None:
        command = [sys.executable, "-m", "distill_lib.verify.batch", kind, str(memory_mb)]
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=worker_env()
        )
        self.buffer = b""
        ready = self._read_line(time.monotonic() + START_TIMEOUT_S)
        if ready != b"ready":
            self.close()
            raise RuntimeError(f"verifier worker for {kind!r} did not start (said {ready[:200]!r})")

    def request(self, text: str, timeout_s: float, memory_mb: int) -> VerifyResult:
        line = json.dumps({"text": text, "timeout_s": timeout_s, "memory_mb": memory_mb}) + "\n"
        self.process.stdin.write(line.encode())
        self.process.stdin.flush()
        return VerifyResult.from_dict(
            json.loads(self._read_line(time.monotonic() + timeout_s + GRACE_S))
        )

    def _read_line(self, deadline: float) -> bytes:
        fd = self.process.stdout.fileno()
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError("verifier worker did not answer in time")
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise EOFError(f"verifier worker exited (code {self.process.poll()})")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:  # unflushed input to a dead worker
                pass


class VerifierPool:
    """`workers` pre-started verifier processes of one kind; `run` and `map` are thread-safe."""

    def __init__(
        self, kind: str = "program", workers: int = 2, timeout_s: float = 5.0, memory_mb: int = 512
    ) -> None:
        """memory_mb: the default memory cap of each request's child, above what the worker maps
        (`run` may override it)."""
        if kind not in HANDLERS:
            raise ValueError(f"unknown verifier kind {kind!r}; expected one of {sorted(HANDLERS)}")
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.kind, self.workers, self.timeout_s, self.memory_mb = (
            kind,
            workers,
            timeout_s,
            memory_mb,
        )
        self.idle: queue.Queue[_Worker] = queue.Queue()
        for _ in range(workers):
            self.idle.put(_Worker(kind, memory_mb))

    def run(
        self, text: str, timeout_s: float | None = None, memory_mb: int | None = None
    ) -> VerifyResult:
        """Verify one text on the next free worker."""
        if not isinstance(text, str):
            return VerifyResult(None, "error", f"expected a string, got {type(text).__name__}")
        timeout_s = self.timeout_s if timeout_s is None else timeout_s
        memory_mb = self.memory_mb if memory_mb is None else memory_mb
        worker = self.idle.get()
        try:
            # a replacement that failed to start earlier: try again
            if worker.process.poll() is not None:
                worker = _Worker(self.kind, self.memory_mb)
            return worker.request(text, timeout_s, memory_mb)
        except (TimeoutError, EOFError, BrokenPipeError, ValueError, OSError) as err:
            worker.close()
            status = "timeout" if isinstance(err, TimeoutError) else "error"
            try:
                worker = _Worker(self.kind, self.memory_mb)
            except Exception as start_error:  # noqa: BLE001 - the next request retries the start
                return VerifyResult(None, status, f"{err}; worker restart failed: {start_error}")
            return VerifyResult(None, status, f"worker replaced: {err}")
        finally:
            self.idle.put(worker)

    def map(self, texts: Sequence[str]) -> list[VerifyResult]:
        """Verify every text, in order, using all workers."""
        with ThreadPoolExecutor(max_workers=self.workers) as executor:
            return list(executor.map(self.run, texts))

    def close(self) -> None:
        while not self.idle.empty():
            self.idle.get().close()

    def __enter__(self) -> VerifierPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


_SHARED: dict[tuple, VerifierPool] = {}


def shared_pool(kind: str, workers: int = 1, timeout_s: float = 5.0) -> VerifierPool:
    """A process-wide pool of `kind`, started on first use, kept warm between calls and closed at
    exit."""
    key = (kind, workers, timeout_s)
    if key not in _SHARED:
        _SHARED[key] = VerifierPool(kind, workers=workers, timeout_s=timeout_s)
        atexit.register(_SHARED[key].close)
    return _SHARED[key]


def verify_many(
    fmt: str, texts: Sequence[str], workers: int = 2, timeout_s: float = 5.0
) -> list[VerifyResult]:
    """Answers for many teacher outputs of one format: cot (extraction), pot (sandbox), eot
    (solver)."""
    if fmt == "cot":
        from distill_lib.verify.answer import extract_cot_answer

        answers = [extract_cot_answer(text) for text in texts]
        return [
            VerifyResult(a, "ok")
            if a is not None
            else VerifyResult(None, "no_answer", "no number in text")
            for a in answers
        ]
    kinds = {"pot": "program", "eot": "equations"}
    if fmt not in kinds:
        raise ValueError(f"unknown format {fmt!r}; expected cot, pot or eot")
    # warm workers: no 1 s start per call
    return shared_pool(kinds[fmt], workers, timeout_s).map(texts)


def serve(kind: str, memory_mb: int) -> None:
    """Worker main loop: load the verifier once, then answer one JSON request line at a time.
    SIGINT is ignored: a Jupyter kernel's shutdown interrupts its whole process group, and the
    pool stops its workers itself (kill, or stdin closing when the parent dies)."""
    from distill_lib.verify.isolation import empty_root, run_isolated

    signal.signal(signal.SIGINT, signal.SIG_IGN)

    module_name, function_name = HANDLERS[kind]
    handler = getattr(importlib.import_module(module_name), function_name)
    for text in WARM_UP[kind]:
        handler(text)
    empty_root()
    # children share these objects; keeping the collector off them avoids copy-on-write faults
    gc.freeze()
    out = sys.stdout.buffer
    out.write(b"ready\n")
    out.flush()
    for line in sys.stdin.buffer:
        request = json.loads(line)
        result = run_isolated(
            handler, request["text"], request["timeout_s"], request.get("memory_mb", memory_mb)
        )
        out.write(json.dumps(result.to_dict()).encode() + b"\n")
        out.flush()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
